package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanOptions;
import dev.sparkmerge.testutil.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One pass over the inputs feeds several outputs (the engine side of grid searches): writing the
 * same shard of K merges that read the same inputs gives, for each, exactly the bytes of writing
 * it alone, while reading the inputs about once instead of K times.
 */
class SharedReadWriterTest {
  @TempDir static Path tmp;
  static Path base;
  static Path ftA;
  static Path ftB;

  @BeforeAll
  static void models() throws Exception {
    base = TinyModel.write(tmp.resolve("base"), "base", DType.F32);
    ftA = TinyModel.write(tmp.resolve("a"), "a", DType.F32);
    ftB = TinyModel.write(tmp.resolve("b"), "b", DType.F32);
  }

  private static MergePlan plan(String method, String params) {
    String yaml = "merge_method: " + method + "\nbase_model: " + base + "\nmodels:\n"
        + "  - model: " + ftA + "\n    parameters: {weight: 1.0" + params + "}\n"
        + "  - model: " + ftB + "\n    parameters: {weight: 0.5" + params + "}\n";
    return MergePlanner.plan(ConfigLoader.load(yaml, "grid.yml", RegistryCatalog.INSTANCE),
        CheckpointFs.withDefaults(), new PlanOptions(64, 0));
  }

  private static long bytesRead() {
    return FileSystem.getStatistics("file", RawLocalFileSystem.class).getBytesRead();
  }

  @Test
  void everyOutputEqualsItsSoloRunAndInputsAreReadOnce() throws Exception {
    List<MergePlan> plans = List.of(plan("ties", ", density: 0.3"),
        plan("ties", ", density: 0.7"), plan("task_arithmetic", ""), plan("dare_linear",
            ", density: 0.5"));
    CheckpointFs fs = CheckpointFs.withDefaults();
    ShardWriter writer = new ShardWriter(fs, 64, List.of(), n -> { });
    long soloBytes = 0;
    long gridBytes = 0;
    for (int s = 0; s < plans.get(0).shards().size(); s++) {
      List<org.apache.hadoop.fs.Path> targets = new ArrayList<>();
      List<dev.sparkmerge.plan.ShardPlan> shards = new ArrayList<>();
      for (int k = 0; k < plans.size(); k++) {
        dev.sparkmerge.plan.ShardPlan shard = plans.get(k).shards().get(s);
        Path solo = Files.createDirectories(tmp.resolve("solo" + k)).resolve(shard.fileName());
        long before = bytesRead();
        writer.write(shard, new org.apache.hadoop.fs.Path(solo.toUri()));
        soloBytes += bytesRead() - before;
        shards.add(shard);
        targets.add(new org.apache.hadoop.fs.Path(Files.createDirectories(tmp.resolve("grid" + k))
            .resolve(shard.fileName()).toUri()));
      }
      long before = bytesRead();
      writer.write(shards, targets);
      gridBytes += bytesRead() - before;
      for (int k = 0; k < plans.size(); k++) {
        String name = shards.get(k).fileName();
        assertArrayEquals(Files.readAllBytes(tmp.resolve("solo" + k).resolve(name)),
            Files.readAllBytes(tmp.resolve("grid" + k).resolve(name)), name + " of output " + k);
      }
    }
    // Four outputs from one pass: the shared write reads less than half of what four solo writes
    // read (the solo TIES writes also re-read for their two statistics passes).
    assertTrue(gridBytes * 2 < soloBytes, "grid read " + gridBytes + " vs solo " + soloBytes);
  }

  @Test
  void refusesOutputsThatReadDifferentInputs() {
    MergePlan withBase = plan("ties", ", density: 0.3");
    String yaml = "merge_method: linear\nmodels:\n  - model: " + ftA
        + "\n    parameters: {weight: 1.0}\n";
    MergePlan other = MergePlanner.plan(ConfigLoader.load(yaml, "x.yml", RegistryCatalog.INSTANCE),
        CheckpointFs.withDefaults(), new PlanOptions(64, 0));
    ShardWriter writer = new ShardWriter(CheckpointFs.withDefaults(), 64, List.of(), n -> { });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> writer.write(List.of(withBase.shards().get(1), other.shards().get(1)),
            List.of(new org.apache.hadoop.fs.Path(tmp.resolve("x1").toUri()),
                new org.apache.hadoop.fs.Path(tmp.resolve("x2").toUri()))));
    assertTrue(e.getMessage().contains("different inputs"), e.getMessage());
    assertEquals(withBase.shards().get(1).fileName(), other.shards().get(1).fileName());
  }
}
