package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory per task is bounded by the chunk size, not the tensor size: a TIES merge whose largest
 * tensor (768 MiB in BF16) is larger than the whole heap of the JVM running it (-Xmx512m, the
 * least Spark accepts) succeeds, statistics stage and write stage included.
 */
@Tag("slow")
class BoundedMemoryMergeTest {
  private static final long ROWS = 24_576;
  private static final long COLS = 16_384;
  private static final String NAME = "model.layers.0.mlp.down_proj.weight";

  @TempDir Path tmp;

  /** Exact in BF16: multiples of 1/64 in [-2, 2). */
  static float value(int model, long i) {
    long h = (i * 0x9E3779B97F4A7C15L) ^ (model * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 29;
    return (Math.floorMod(h, 256) - 128) / 64f;
  }

  private static void writeModel(Path dir, int model) throws Exception {
    Files.createDirectories(dir);
    List<TensorSpec> specs = List.of(new TensorSpec(NAME, DType.BF16, new long[] {ROWS, COLS}),
        new TensorSpec("model.norm.weight", DType.BF16, new long[] {COLS}));
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(CheckpointFs.withDefaults(),
        new org.apache.hadoop.fs.Path(dir.resolve("model.safetensors").toUri()), layout, false)) {
      float[] buf = new float[1 << 20];
      for (var t : layout.tensors()) {
        for (long start = 0; start < t.numel(); start += buf.length) {
          int n = (int) Math.min(buf.length, t.numel() - start);
          for (int j = 0; j < n; j++) {
            buf[j] = value(model, start + j);
          }
          w.writeFloats(buf, 0, n);
        }
      }
      w.commit();
    }
    Files.writeString(dir.resolve("config.json"), "{\"num_hidden_layers\": 1}");
  }

  @Test
  void mergesATensorLargerThanTheHeap() throws Exception {
    writeModel(tmp.resolve("base"), 0);
    writeModel(tmp.resolve("ft"), 1);
    Path cfg = tmp.resolve("ties.yml");
    Files.writeString(cfg, "merge_method: ties\nbase_model: " + tmp.resolve("base") + "\n"
        + "models:\n  - model: " + tmp.resolve("ft") + "\n    parameters: {weight: 1, density: 0.5}\n");
    Path out = tmp.resolve("out");
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + "/bin/java");
    cmd.add("-Xmx512m");
    for (String flag : System.getProperty("sparkmerge.jvm.flags", "").split(" ")) {
      if (!flag.isBlank()) {
        cmd.add(flag);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.sparkmerge.cli.Main",
        "run", "-q", "--master", "local[2]", cfg.toString(), out.toString()));
    File log = tmp.resolve("child.log").toFile();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "merge timed out");
    assertEquals(0, p.exitValue(), Files.readString(log.toPath()));

    // Every output element is the base's value or the fine-tune's (TIES with one model keeps
    // its delta or drops it); exactly half the deltas are kept (ties at the threshold aside).
    CheckpointFs fs = CheckpointFs.withDefaults();
    TensorLocation loc = HfModel.open(fs, out.toString()).require(NAME);
    long keptFine = 0;
    long sampled = 0;
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      float[] buf = new float[1 << 16];
      for (long start = 0; start < loc.info().numel(); start += 7L * buf.length) {
        f.readFloats(loc.info(), start, buf, 0, buf.length, null);
        for (int j = 0; j < buf.length; j++) {
          float b = value(0, start + j);
          float x = value(1, start + j);
          assertTrue(buf[j] == b || buf[j] == x, "element " + (start + j));
          if (x != b && buf[j] == x) {
            keptFine++;
          }
          if (x != b) {
            sampled++;
          }
        }
      }
    }
    double fraction = (double) keptFine / sampled;
    assertTrue(fraction > 0.45 && fraction < 0.56, "kept fraction " + fraction);
  }
}
