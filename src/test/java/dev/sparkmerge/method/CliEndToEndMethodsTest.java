package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.cli.Main;
import dev.sparkmerge.testutil.TestSpark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered method through the command line, as a user runs it: each case of
 * {@link MethodCases} becomes real model directories and a mergekit YAML config, `sparkmerge run`
 * merges them on Spark with small chunks (so the statistics stage and chunked writes run), and the
 * output tensor must be bit-identical to the kernel run in memory and within 1e-6 of the float64
 * reference implementation.
 */
class CliEndToEndMethodsTest {
  private static final String TENSOR = "model.layers.0.mlp.up_proj.weight";

  @TempDir static Path tmp;

  @BeforeAll
  static void spark() {
    TestSpark.context();
  }

  static List<MethodCases.Case> cases() {
    return MethodCases.all(23);
  }

  private static Path writeModel(Path dir, float[] values) throws IOException {
    Files.createDirectories(dir);
    SafetensorsLayout layout = SafetensorsLayout.of(List.of(new dev.sparkmerge.checkpoint
        .TensorSpec(TENSOR, DType.F32, new long[] {MethodCases.ROWS, MethodCases.COLS})), Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(CheckpointFs.withDefaults(),
        new org.apache.hadoop.fs.Path(dir.resolve("model.safetensors").toUri()), layout, false)) {
      w.writeFloats(values, 0, values.length);
      w.commit();
    }
    Files.writeString(dir.resolve("config.json"), "{\"num_hidden_layers\": 1}");
    return dir;
  }

  private static String yamlValue(Object v) {
    return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
  }

  private static String config(MethodCases.Case c, Path dir) throws IOException {
    MergeRunner r = c.runner;
    StringBuilder y = new StringBuilder("merge_method: " + r.method + "\n");
    if (r.base != null) {
      y.append("base_model: ").append(writeModel(dir.resolve("base"), r.base)).append('\n');
    }
    y.append("models:\n");
    for (int i = 0; i < r.models.length; i++) {
      y.append("  - model: ").append(writeModel(dir.resolve("m" + i), r.models[i])).append('\n');
      if (!r.perModel.get(i).isEmpty()) {
        y.append("    parameters:\n");
        r.perModel.get(i).forEach((k, v) ->
            y.append("      ").append(k).append(": ").append(yamlValue(v)).append('\n'));
      }
    }
    if (!r.global.isEmpty()) {
      y.append("parameters:\n");
      r.global.forEach((k, v) -> y.append("  ").append(k).append(": ").append(yamlValue(v))
          .append('\n'));
    }
    y.append("dtype: float32\nseed: ").append(r.seed).append('\n');
    return y.toString();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void cliOutputEqualsTheKernelAndTheFloat64Reference(MethodCases.Case c) throws IOException {
    Path dir = tmp.resolve(c.label);
    Path cfg = dir.resolve("config.yml");
    Files.createDirectories(dir);
    Files.writeString(cfg, config(c, dir));
    Path out = dir.resolve("out");
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"run", "-q", "--chunk-size", "4KiB", cfg.toString(),
        out.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
    assertEquals(0, code, err + "\n" + Files.readString(cfg));

    CheckpointFs fs = CheckpointFs.withDefaults();
    TensorLocation loc = HfModel.open(fs, out.toString()).require(TENSOR);
    float[] got = new float[(int) loc.info().numel()];
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      f.readFloats(loc.info(), 0, got, 0, got.length, null);
    }
    float[] inMemory = c.runner.run();
    double[] reference = Reference64.merge(c.runner);
    int compared = 0;
    for (int j = 0; j < got.length; j++) {
      assertEquals(Float.floatToIntBits(inMemory[j]), Float.floatToIntBits(got[j]),
          c.label + " element " + j + ": CLI " + got[j] + " vs kernel " + inMemory[j]);
      if (!Double.isNaN(reference[j])) {
        assertEquals(reference[j], got[j], 1e-6, c.label + " element " + j);
        compared++;
      }
    }
    assertTrue(compared > got.length * 0.99, c.label + ": compared only " + compared);
  }
}
