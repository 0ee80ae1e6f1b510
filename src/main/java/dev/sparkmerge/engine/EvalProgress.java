package dev.sparkmerge.engine;

import java.io.PrintWriter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.util.LongAccumulator;

/**
 * Prints "evaluating NAME: k/N examples" on the driver every few seconds while a model is scored
 * (the count of examples in finished Spark tasks).
 */
final class EvalProgress implements AutoCloseable {
  private static final long PERIOD_MILLIS = 5000;
  private final ScheduledExecutorService timer;

  EvalProgress(String name, LongAccumulator done, int total, PrintWriter out) {
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sparkmerge-eval-progress");
      t.setDaemon(true);
      return t;
    });
    long start = System.nanoTime();
    timer.scheduleAtFixedRate(() -> {
      out.printf("evaluating %s: %d/%d examples, %.0f s%n", name, done.value(), total,
          (System.nanoTime() - start) / 1e9);
      out.flush();
    }, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
