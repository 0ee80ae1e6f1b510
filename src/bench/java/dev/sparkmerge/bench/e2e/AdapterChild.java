package dev.sparkmerge.bench.e2e;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.AdapterOutputJob;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.engine.SparkContexts;
import dev.sparkmerge.lora.AdapterCombiner;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;

/**
 * One {@code output: adapter} config in its own JVM, the adapter counterpart of
 * {@link MergeChild}: what {@code sparkmerge run} does for it (load the config, expanding
 * {@code adapters:}; {@link AdapterOutputJob#run}), timed, then one {@code E2E-RESULT} line with
 * MergeChild's keys where they apply: {@code spark_ms} is the SparkContext's start and
 * {@code merge_ms} all of {@code AdapterOutputJob.run} (opening the adapters' headers, the modules
 * combined in Spark tasks on MASTER, writing the adapter on the driver). Fails unless the output
 * holds adapter_config.json, adapter_model.safetensors and _SUCCESS.
 *
 * <p>Extra keys: {@code modules}, {@code rank}, {@code energy_min_ppm} (the smallest fraction of
 * a module's update energy the written factors keep, in millionths), {@code randomized_modules}
 * (how many modules svd's {@code solver: auto} reduced by the randomised route).
 *
 * <p>Arguments: CONFIG OUTPUT [MASTER (default local[2])] (CHUNK_BYTES after it is accepted and
 * ignored, so the harness can start it like MergeChild).
 */
public final class AdapterChild {
  private AdapterChild() {}

  public static void main(String[] args) throws Exception {
    long tMain = System.nanoTime();
    long jvmUptimeAtMain = ManagementFactory.getRuntimeMXBean().getUptime();
    AtomicLong liveMax = new AtomicLong();
    MergeChild.watchGc(liveMax);
    String config = args[0];
    String output = args[1];

    CheckpointFs fs = new CheckpointFs(new Configuration());
    JobSpec job = ConfigLoader.load(Files.readString(Path.of(config)), config,
        RegistryCatalog.INSTANCE, new dev.sparkmerge.cli.HadoopAdapterLister(fs));
    if (!job.output().isAdapter()) {
      throw new IllegalArgumentException(config + ": not an 'output: adapter' config");
    }
    long tLoaded = System.nanoTime();
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.master", args.length > 2 ? args[2] : "local[2]");
    long tSpark;
    long tMerged;
    AdapterCombiner.Result result;
    ReadCounters readsBefore;
    ReadCounters readsAfter;
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge bench", conf)) {
      tSpark = System.nanoTime();
      readsBefore = ReadCounters.now();
      result = AdapterOutputJob.run(spark.context(), fs, job, output, true);
      tMerged = System.nanoTime();
      readsAfter = ReadCounters.now();
    }
    long tStopped = System.nanoTime();
    long written = 0;
    for (String f : new String[] {"adapter_config.json", PeftAdapter.WEIGHTS_FILE, "_SUCCESS"}) {
      Path p = Path.of(output, f);
      if (!Files.exists(p)) {
        throw new IllegalStateException(output + ": no " + f + " after the combination");
      }
      written += Files.size(p);
    }
    double worst = result.energyKept.values().stream().mapToDouble(Double::doubleValue).min()
        .orElse(1);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jvm_ms", jvmUptimeAtMain);
    r.put("plan_ms", (tLoaded - tMain) / 1_000_000);
    r.put("spark_ms", (tSpark - tLoaded) / 1_000_000);
    r.put("merge_ms", (tMerged - tSpark) / 1_000_000);
    r.put("stop_ms", (tStopped - tMerged) / 1_000_000);
    r.put("modules", result.modules);
    r.put("rank", result.rank);
    r.put("energy_min_ppm", Math.round(worst * 1e6));
    r.put("randomized_modules", result.randomized.size());
    r.put("bytes_written", written);
    r.put("heap_peak", MergeChild.heapPeak());
    r.put("heap_live_max", liveMax.get());
    r.put("heap_max", Runtime.getRuntime().maxMemory());
    r.put("gc_ms", MergeChild.gcMillis());
    r.put("vmhwm_kb", MergeChild.procStatusKb("VmHWM"));
    readsAfter.putSince(readsBefore, "merge_read", r);
    MergeChild.emit(r);
  }
}
