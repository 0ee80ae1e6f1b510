package dev.sparkmerge.bench.e2e;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.MergeJob;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.engine.SparkContexts;
import dev.sparkmerge.plan.MemoryEstimate;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * One merge in its own JVM, so its peak RSS is its own: the same steps as {@code sparkmerge run}
 * ({@code RunCommand}: load the config, plan, start Spark, {@link MergeJob#run}, stop), with a
 * timestamp between each, then one {@code E2E-RESULT key=value ...} line for the driver:
 *
 * <ul>
 *   <li>{@code plan_ms}: config + planning (reads headers only); {@code spark_ms}: creating the
 *       SparkContext; {@code merge_ms}: {@code MergeJob.run}, i.e. statistics stage, write stage
 *       and commit, the figure the throughput targets are about; {@code stop_ms}: stopping Spark.
 *   <li>{@code stats_ms} / {@code write_ms}: wall time of the statistics and write Spark jobs
 *       (from a listener), and the tasks' summed run, CPU and GC time per kind.
 *   <li>{@code vmhwm_kb}: VmHWM of /proc/self/status (= /proc/PID/status) at the end: peak RSS.
 *   <li>{@code merge_read_rchar} / {@code _disk} / {@code _hadoop}: bytes read during
 *       {@code merge_ms}, see {@link ReadCounters}.
 *   <li>{@code heap_peak}: sum of the heap pools' peak usage (an upper bound of the peak heap in
 *       use, garbage included); {@code heap_live_max}: the largest heap occupancy right after a
 *       GC (what the job kept alive, plus old garbage not yet collected).
 * </ul>
 *
 * <p>Arguments: CONFIG OUTPUT MASTER CHUNK_BYTES.
 */
public final class MergeChild {
  private MergeChild() {}

  public static void main(String[] args) throws Exception {
    long tMain = System.nanoTime();
    long jvmUptimeAtMain = ManagementFactory.getRuntimeMXBean().getUptime();
    AtomicLong liveMax = new AtomicLong();
    watchGc(liveMax);
    String config = args[0];
    String output = args[1];
    String master = args[2];
    long chunk = Long.parseLong(args[3]);

    CheckpointFs fs = new CheckpointFs(new Configuration());
    // The lister expands an adapters: block (AdapterBench); other configs never call it.
    JobSpec job = ConfigLoader.load(Files.readString(Path.of(config)), config,
        RegistryCatalog.INSTANCE, new dev.sparkmerge.cli.HadoopAdapterLister(fs));
    MergePlan plan = MergePlanner.plan(job, fs, new PlanOptions(chunk, 0));
    long tPlanned = System.nanoTime();

    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.master", master);
    JobTimes jobs = new JobTimes();
    long tSpark;
    long tMerged;
    MergeJob.Outcome outcome;
    ReadCounters readsBefore;
    ReadCounters readsAfter;
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge bench", conf)) {
      spark.context().sc().addSparkListener(jobs);
      readsBefore = ReadCounters.now();
      tSpark = System.nanoTime();
      outcome = MergeJob.run(spark.context(), plan, output, new MergeJob.Options(false, true,
          null));
      tMerged = System.nanoTime();
      readsAfter = ReadCounters.now();
    }
    long tStopped = System.nanoTime();
    if (!Files.exists(Path.of(output, "_SUCCESS"))) {
      throw new IllegalStateException(output + ": no _SUCCESS after the merge");
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jvm_ms", jvmUptimeAtMain);
    r.put("plan_ms", ms(tPlanned - tMain));
    r.put("spark_ms", ms(tSpark - tPlanned));
    r.put("merge_ms", ms(tMerged - tSpark));
    r.put("stop_ms", ms(tStopped - tMerged));
    r.put("stats_ms", jobs.wallMs("stats"));
    r.put("write_ms", jobs.wallMs("write"));
    r.put("stats_jobs", jobs.count("stats"));
    r.put("stats_task_run_ms", jobs.runMs.getOrDefault("stats", 0L));
    r.put("stats_task_cpu_ms", jobs.cpuNs.getOrDefault("stats", 0L) / 1_000_000);
    r.put("stats_task_gc_ms", jobs.gcMs.getOrDefault("stats", 0L));
    r.put("write_task_run_ms", jobs.runMs.getOrDefault("write", 0L));
    r.put("write_task_cpu_ms", jobs.cpuNs.getOrDefault("write", 0L) / 1_000_000);
    r.put("write_task_gc_ms", jobs.gcMs.getOrDefault("write", 0L));
    r.put("tasks", jobs.tasks);
    r.put("shards", plan.shards().size());
    r.put("bytes_read_plan", plan.bytesRead());
    r.put("bytes_written", outcome.bytesWritten);
    r.put("heap_peak", heapPeak());
    r.put("heap_live_max", liveMax.get());
    r.put("heap_max", Runtime.getRuntime().maxMemory());
    r.put("plan_task_mem", MemoryEstimate.perTask(plan));
    r.put("gc_ms", gcMillis());
    r.put("vmhwm_kb", procStatusKb("VmHWM"));
    readsAfter.putSince(readsBefore, "merge_read", r);
    emit(r);
  }

  /** Prints the one result line {@link ChildJvm} parses. */
  static void emit(Map<String, Object> r) {
    StringBuilder line = new StringBuilder(ChildJvm.RESULT.trim());
    r.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    System.out.flush();
  }

  /** The sum of the heap pools' peak usage. */
  static long heapPeak() {
    long peak = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        peak += p.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  static long procStatusKb(String key) throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith(key + ":")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  static long gcMillis() {
    long t = 0;
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      t += Math.max(0, b.getCollectionTime());
    }
    return t;
  }

  /** Records the heap occupancy after every collection, keeping the largest. */
  static void watchGc(AtomicLong liveMax) {
    Set<String> heapPools = new HashSet<>();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        heapPools.add(p.getName());
      }
    }
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) b).addNotificationListener((n, hb) -> {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
            n.getType())) {
          return;
        }
        GarbageCollectionNotificationInfo info =
            GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e
            : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
          if (heapPools.contains(e.getKey())) {
            used += e.getValue().getUsed();
          }
        }
        liveMax.accumulateAndGet(used, Math::max);
      }, null, null);
    }
  }

  /** Wall time of the engine's Spark jobs by kind, and their tasks' metrics. */
  static final class JobTimes extends SparkListener {
    private final Map<Integer, String> jobKind = new HashMap<>();
    private final Map<Integer, Long> jobStart = new HashMap<>();
    private final Map<String, Long> wall = new HashMap<>();
    private final Map<String, Integer> jobs = new HashMap<>();
    private final Map<Integer, String> stageKind = new HashMap<>();
    final Map<String, Long> runMs = new HashMap<>();
    final Map<String, Long> cpuNs = new HashMap<>();
    final Map<String, Long> gcMs = new HashMap<>();
    int tasks;

    private static String kind(java.util.Properties p) {
      // Spark SQL jobs (a grid's Parquet statistics table) run on the thread whose job
      // description the write stage set last, so they would count as "write" without this.
      if (p != null && p.getProperty("spark.sql.execution.id") != null) {
        return "sql";
      }
      String d = p == null ? null : p.getProperty("spark.job.description");
      if (d == null) {
        return "other";
      }
      return d.startsWith("sparkmerge: statistics") ? "stats"
          : d.startsWith("sparkmerge: write") ? "write" : "other";
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
      jobKind.put(e.jobId(), kind(e.properties()));
      jobStart.put(e.jobId(), e.time());
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd e) {
      String k = jobKind.getOrDefault(e.jobId(), "other");
      Long start = jobStart.get(e.jobId());
      if (start != null) {
        wall.merge(k, e.time() - start, Long::sum);
      }
      jobs.merge(k, 1, Integer::sum);
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
      stageKind.put(e.stageInfo().stageId(), kind(e.properties()));
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
      if (e.taskMetrics() == null) {
        return;
      }
      String k = stageKind.getOrDefault(e.stageId(), "other");
      runMs.merge(k, e.taskMetrics().executorRunTime(), Long::sum);
      cpuNs.merge(k, e.taskMetrics().executorCpuTime(), Long::sum);
      gcMs.merge(k, e.taskMetrics().jvmGCTime(), Long::sum);
      tasks++;
    }

    synchronized long wallMs(String k) {
      return wall.getOrDefault(k, 0L);
    }

    synchronized int count(String k) {
      return jobs.getOrDefault(k, 0);
    }
  }
}
