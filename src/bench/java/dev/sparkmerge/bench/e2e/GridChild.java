package dev.sparkmerge.bench.e2e;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.engine.GridJob;
import dev.sparkmerge.engine.MergeJob;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.engine.SparkContexts;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;

/**
 * One grid config in its own JVM, the grid counterpart of {@link MergeChild}: the steps of
 * {@code sparkmerge run} for a grid ({@code RunCommand.runGrid}: load every candidate, plan each,
 * start Spark, {@link GridJob#run}, stop) with timestamps between them, then one
 * {@code E2E-RESULT} line with the same keys as MergeChild where they apply.
 *
 * <p>{@code merge_ms} is all of {@code GridJob.run}: the shared statistics and write jobs of the
 * candidates, the per-candidate statistics table (Parquet, Spark SQL; its jobs are
 * {@code sql_ms}) and candidates.json — everything {@code run} does for a grid after Spark is up.
 * The CLI's {@code JobLoading} is package-private, so loading and planning are repeated here with
 * the same public calls it makes (the adapter lister it passes only matters for {@code adapters:},
 * which the benchmark config does not use).
 *
 * <p>Arguments: CONFIG OUTPUT MASTER CHUNK_BYTES.
 */
public final class GridChild {
  private GridChild() {}

  public static void main(String[] args) throws Exception {
    long tMain = System.nanoTime();
    long jvmUptimeAtMain = ManagementFactory.getRuntimeMXBean().getUptime();
    AtomicLong liveMax = new AtomicLong();
    MergeChild.watchGc(liveMax);
    String config = args[0];
    String output = args[1];
    String master = args[2];
    long chunk = Long.parseLong(args[3]);

    CheckpointFs fs = new CheckpointFs(new Configuration());
    List<GridCandidate> candidates = ConfigLoader.loadCandidates(
        Files.readString(Path.of(config), StandardCharsets.UTF_8), config,
        RegistryCatalog.INSTANCE);
    List<MergePlan> plans = new ArrayList<>();
    long planRead = 0;
    for (GridCandidate c : candidates) {
      MergePlan p = MergePlanner.plan(c.spec(), fs, new PlanOptions(chunk, 0));
      plans.add(p);
      planRead = Math.max(planRead, p.bytesRead());
    }
    long tPlanned = System.nanoTime();

    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.master", master);
    MergeChild.JobTimes jobs = new MergeChild.JobTimes();
    PrintWriter log = new PrintWriter(System.out, true);
    long tSpark;
    long tMerged;
    GridJob.Result result;
    ReadCounters readsBefore;
    ReadCounters readsAfter;
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge grid bench", conf)) {
      spark.context().sc().addSparkListener(jobs);
      readsBefore = ReadCounters.now();
      tSpark = System.nanoTime();
      result = GridJob.run(spark.context(), candidates, plans, output,
          new MergeJob.Options(false, true, null), log);
      tMerged = System.nanoTime();
      readsAfter = ReadCounters.now();
    }
    long tStopped = System.nanoTime();
    if (result.failed > 0 || result.complete != candidates.size()) {
      throw new IllegalStateException(output + ": " + result.failed + " candidate(s) failed, "
          + result.complete + " of " + candidates.size() + " written; see "
          + GridJob.CANDIDATES);
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jvm_ms", jvmUptimeAtMain);
    r.put("plan_ms", (tPlanned - tMain) / 1_000_000);
    r.put("spark_ms", (tSpark - tPlanned) / 1_000_000);
    r.put("merge_ms", (tMerged - tSpark) / 1_000_000);
    r.put("stop_ms", (tStopped - tMerged) / 1_000_000);
    r.put("stats_ms", jobs.wallMs("stats"));
    r.put("write_ms", jobs.wallMs("write"));
    r.put("sql_ms", jobs.wallMs("sql"));
    r.put("other_ms", jobs.wallMs("other"));
    r.put("stats_jobs", jobs.count("stats"));
    r.put("stats_task_cpu_ms", jobs.cpuNs.getOrDefault("stats", 0L) / 1_000_000);
    r.put("write_task_cpu_ms", jobs.cpuNs.getOrDefault("write", 0L) / 1_000_000);
    r.put("candidates", candidates.size());
    r.put("bytes_read_plan", planRead);
    r.put("heap_live_max", liveMax.get());
    r.put("gc_ms", MergeChild.gcMillis());
    r.put("vmhwm_kb", MergeChild.procStatusKb("VmHWM"));
    readsAfter.putSince(readsBefore, "merge_read", r);
    StringBuilder line = new StringBuilder(ChildJvm.RESULT.trim());
    r.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    System.out.flush();
  }
}
