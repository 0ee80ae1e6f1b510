package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.cli.HadoopAdapterLister;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.AdapterOutputJob;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.testutil.TestSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The modules of an adapter output combined in Spark tasks (what {@code sparkmerge run} does) give
 * the same bytes as combining them one after the other on the driver: each module's result
 * depends only on its resolved work. The three real SmolLM-135M adapters, every combination route
 * (exact svd, randomised svd with clamp, a dense combination with DARE masks).
 */
class AdapterOutputRunnersTest {
  @TempDir static Path tmp;
  static Path base;

  @BeforeAll
  static void base() throws IOException {
    base = LoraFixtures.smolBase(tmp.resolve("smol"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "task_arithmetic|{type: adapter, combination: svd, rank: 8, solver: exact}",
      "task_arithmetic|{type: adapter, combination: svd, rank: 8, solver: randomized, clamp: 0.99}",
      "dare_ties|{type: adapter, combination: dare_ties_svd, rank: 8}"})
  void sparkTasksWriteTheSameAdapterAsTheDriverAlone(String setting) throws IOException {
    String[] parts = setting.split("\\|");
    StringBuilder yaml = new StringBuilder("merge_method: " + parts[0] + "\nbase_model: " + base
        + "\nseed: 7\nparameters: {density: 0.5}\nmodels:\n");
    double[] weights = {1.0, 0.5, 0.75};
    for (int i = 0; i < RealAdaptersTest.SMOLLM.size(); i++) {
      yaml.append("  - model: ").append(base).append('+')
          .append(LoraFixtures.model(RealAdaptersTest.SMOLLM.get(i)))
          .append("\n    parameters: {weight: ").append(weights[i]).append("}\n");
    }
    yaml.append("output: ").append(parts[1]).append('\n');
    String name = "cfg-" + Math.abs(setting.hashCode());
    Path cfg = tmp.resolve(name + ".yml");
    Files.writeString(cfg, yaml.toString());
    CheckpointFs fs = CheckpointFs.withDefaults();
    JobSpec job = ConfigLoader.load(yaml.toString(), cfg.toString(), RegistryCatalog.INSTANCE,
        new HadoopAdapterLister(fs));

    Path spark = tmp.resolve(name + "-spark");
    Path driver = tmp.resolve(name + "-driver");
    AdapterCombiner.Result inTasks = AdapterOutputJob.run(TestSpark.context(), fs, job,
        spark.toString(), false);
    AdapterCombiner.Result alone = AdapterOutputJob.run(fs, job, driver.toString(), false,
        ModuleRunner.local(fs));

    assertTrue(inTasks.modules > 1, "several modules, spread over tasks");
    assertEquals(alone.modules, inTasks.modules);
    assertEquals(alone.randomized, inTasks.randomized);
    assertEquals(alone.energyKept, inTasks.energyKept);
    for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json"}) {
      assertArrayEquals(Files.readAllBytes(driver.resolve(f)), Files.readAllBytes(spark.resolve(f)),
          f);
    }
    JsonNode report = LoraFixtures.JSON.readTree(spark.resolve("combine-report.json").toFile());
    assertEquals(inTasks.modules, report.get("energy_kept").size());
  }
}
