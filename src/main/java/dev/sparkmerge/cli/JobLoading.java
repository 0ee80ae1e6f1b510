package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import java.nio.charset.StandardCharsets;

/** Config file → validated JobSpec → MergePlan, shared by {@code run} and {@code plan}. */
final class JobLoading {
  private static final int MAX_CONFIG_BYTES = 16 << 20;

  private JobLoading() {}

  static JobSpec loadConfig(CheckpointFs fs, String configPath) {
    byte[] bytes = fs.readSmallFile(fs.resolve(configPath), "config file", MAX_CONFIG_BYTES);
    return ConfigLoader.load(new String(bytes, StandardCharsets.UTF_8), configPath,
        RegistryCatalog.INSTANCE);
  }

  static MergePlan plan(CheckpointFs fs, String configPath, PlanOptions options) {
    return MergePlanner.plan(loadConfig(fs, configPath), fs, options);
  }
}
