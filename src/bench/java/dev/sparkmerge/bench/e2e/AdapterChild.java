package dev.sparkmerge.bench.e2e;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.AdapterOutputJob;
import dev.sparkmerge.engine.RegistryCatalog;
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
 * MergeChild's keys where they apply. The combination runs on the driver without Spark, so
 * {@code spark_ms} is 0 and {@code merge_ms} is all of {@code AdapterOutputJob.run} (opening the
 * adapters' headers, combining module by module, writing the adapter). Fails unless the output
 * holds adapter_config.json, adapter_model.safetensors and _SUCCESS.
 *
 * <p>Extra keys: {@code modules}, {@code rank}, {@code energy_min_ppm} (the smallest fraction of
 * a module's update energy the written factors keep, in millionths), {@code randomized_modules}
 * (how many modules svd's {@code solver: auto} reduced by the randomised route).
 *
 * <p>Arguments: CONFIG OUTPUT (a MASTER and CHUNK_BYTES after them are accepted and ignored, so
 * the harness can start it like MergeChild).
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
    ReadCounters readsBefore = ReadCounters.now();
    AdapterCombiner.Result result = AdapterOutputJob.run(fs, job, output, true);
    long tMerged = System.nanoTime();
    ReadCounters readsAfter = ReadCounters.now();
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
    r.put("spark_ms", 0);
    r.put("merge_ms", (tMerged - tLoaded) / 1_000_000);
    r.put("stop_ms", 0);
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
