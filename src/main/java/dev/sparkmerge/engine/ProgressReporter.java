package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.ByteSizes;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Prints a progress line on the driver while shards are written: shards done, bytes written,
 * throughput and ETA. Bytes of running tasks come from an accumulator whose in-flight values ride
 * on executor heartbeats (reference/spark-hadoop.md §5.4), so long tasks show progress too.
 * Listener callbacks only record numbers; printing happens on a timer thread.
 */
final class ProgressReporter extends SparkListener implements AutoCloseable {
  private final long accumulatorId;
  private final int totalShards;
  private final long totalBytes;
  private final PrintWriter out;
  private final long startNanos = System.nanoTime();
  private final Map<Long, Long> runningBytes = new ConcurrentHashMap<>();
  private final AtomicInteger shardsDone = new AtomicInteger();
  private volatile long finishedBytes;
  private final ScheduledExecutorService timer;

  ProgressReporter(LongAccumulator bytesWritten, int totalShards, long totalBytes,
      PrintWriter out, long periodMillis) {
    this.accumulatorId = bytesWritten.id();
    this.totalShards = totalShards;
    this.totalBytes = totalBytes;
    this.out = out;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkmerge-progress");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleAtFixedRate(this::print, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
        : CollectionConverters.asJava(update.accumUpdates())) {
      for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
        if (info.id() == accumulatorId && info.update().isDefined()) {
          runningBytes.put((Long) task._1(), ((Number) info.update().get()).longValue());
        }
      }
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    runningBytes.remove(end.taskInfo().taskId());
    if (!end.taskInfo().successful()) {
      return;
    }
    // Only write tasks add to the accumulator; the statistics stage's tasks are not shards.
    for (AccumulableInfo info : CollectionConverters.asJava(end.taskInfo().accumulables())) {
      if (info.id() == accumulatorId && info.update().isDefined()) {
        shardsDone.incrementAndGet();
        finishedBytes += ((Number) info.update().get()).longValue();
      }
    }
  }

  private void print() {
    long bytes = finishedBytes;
    for (long b : runningBytes.values()) {
      bytes += b;
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double rate = bytes / Math.max(seconds, 1e-3);
    String eta = rate > 0 && bytes < totalBytes
        ? ", ETA " + duration((totalBytes - bytes) / rate) : "";
    out.println(String.format("progress: %d/%d shards, %s of %s written, %s/s%s",
        shardsDone.get(), totalShards, ByteSizes.human(bytes), ByteSizes.human(totalBytes), ByteSizes.human((long) rate), eta));
    out.flush();
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
        : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
