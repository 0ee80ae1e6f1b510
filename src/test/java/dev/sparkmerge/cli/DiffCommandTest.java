package dev.sparkmerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.NaturalOrder;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sparkmerge diff` on tiny models whose every value the test knows (TinyModel.value). */
class DiffCommandTest {
  @TempDir static Path tmp;
  static Path a;
  static Path b;
  static Path aSharded;
  static Path aF32;
  static Path changed;

  record Run(int code, String out, String err) {}

  /** Runs the CLI as a user does, through Main.run. */
  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void models() throws IOException {
    a = TinyModel.write(tmp.resolve("a"), "a", DType.BF16);
    b = TinyModel.write(tmp.resolve("b"), "b", DType.BF16);
    aF32 = TinyModel.write(tmp.resolve("a-f32"), "a", DType.F32);
    aSharded = writeSharded(tmp.resolve("a-sharded"), "a");
    // Like a, but lm_head missing, an extra tensor, and model.norm.weight with another shape.
    Map<String, long[]> shapes = new LinkedHashMap<>(TinyModel.shapes());
    shapes.remove("lm_head.weight");
    shapes.put("model.extra.weight", new long[] {2, 3});
    shapes.put("model.norm.weight", new long[] {TinyModel.HIDDEN / 2});
    changed = tmp.resolve("changed");
    Files.createDirectories(changed);
    writeFile(changed.resolve("model.safetensors"), "a", shapes);
  }

  /** Model "a" split over two shards with an index, written without Spark. */
  static Path writeSharded(Path dir, String salt) throws IOException {
    Files.createDirectories(dir);
    Map<String, long[]> first = new LinkedHashMap<>();
    Map<String, long[]> second = new LinkedHashMap<>();
    TinyModel.shapes().forEach((n, s) -> (n.contains("layers.0.") || n.contains("embed")
        ? first : second).put(n, s));
    writeFile(dir.resolve("model-00001-of-00002.safetensors"), salt, first);
    writeFile(dir.resolve("model-00002-of-00002.safetensors"), salt, second);
    ObjectMapper json = new ObjectMapper();
    Map<String, String> weightMap = new TreeMap<>();
    first.keySet().forEach(n -> weightMap.put(n, "model-00001-of-00002.safetensors"));
    second.keySet().forEach(n -> weightMap.put(n, "model-00002-of-00002.safetensors"));
    Map<String, Object> index = Map.of("metadata", Map.of(), "weight_map", weightMap);
    Files.writeString(dir.resolve("model.safetensors.index.json"),
        json.writeValueAsString(index));
    return dir;
  }

  static void writeFile(Path file, String salt, Map<String, long[]> shapes) {
    List<TensorSpec> specs = new ArrayList<>();
    shapes.forEach((n, s) -> specs.add(new TensorSpec(n, DType.BF16, s)));
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(CheckpointFs.withDefaults(),
        new org.apache.hadoop.fs.Path(file.toUri()), layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        float[] v = new float[(int) t.numel()];
        for (int i = 0; i < v.length; i++) {
          v[i] = TinyModel.value(salt, t.name(), i);
        }
        w.writeFloats(v, 0, v.length);
      }
      w.commit();
    }
  }

  static JsonNode json(Run r) throws IOException {
    return new ObjectMapper().readTree(r.out());
  }

  static Map<String, JsonNode> byName(JsonNode report) {
    Map<String, JsonNode> m = new HashMap<>();
    for (JsonNode t : report.get("tensors")) {
      m.put(t.get("name").asText(), t);
    }
    return m;
  }

  @Test
  void identicalModelsShardedVsSingleFile() throws IOException {
    Run r = cli("diff", "--json", a.toString(), aSharded.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    JsonNode report = json(r);
    assertEquals("model", report.get("a").get("kind").asText());
    assertEquals("sharded model", report.get("b").get("kind").asText());
    assertEquals(2, report.get("b").get("shards").asInt());
    assertEquals(TinyModel.shapes().size(), report.get("tensors").size());
    for (JsonNode t : report.get("tensors")) {
      assertEquals("compared", t.get("status").asText());
      assertEquals(0.0, t.get("max_abs_diff").asDouble(), t.toString());
      assertEquals(0.0, t.get("mean_abs_diff").asDouble(), t.toString());
      assertEquals(1.0, t.get("cosine").asDouble(), 1e-12, t.toString());
      assertTrue(t.get("bytes_identical").asBoolean(), t.toString());
    }
    JsonNode s = report.get("summary");
    assertEquals(TinyModel.shapes().size(), s.get("compared").asInt());
    assertEquals(TinyModel.shapes().size(), s.get("bytes_identical").asInt());
    assertFalse(s.get("structure_differs").asBoolean());
    assertEquals(0, report.get("exit_code").asInt());
  }

  @Test
  void differentModelsMatchFloat64Expectations() throws IOException {
    Run r = cli("diff", "--json", a.toString(), b.toString());
    assertEquals(0, r.code(), "no tolerance: values never fail the diff\n" + r.err());
    Map<String, JsonNode> got = byName(json(r));
    double overallMax = 0;
    for (Map.Entry<String, long[]> e : TinyModel.shapes().entrySet()) {
      String name = e.getKey();
      long n = 1;
      for (long d : e.getValue()) {
        n *= d;
      }
      double max = 0;
      double sum = 0;
      double dot = 0;
      double na = 0;
      double nb = 0;
      for (long i = 0; i < n; i++) {
        double x = TinyModel.value("a", name, i);
        double y = TinyModel.value("b", name, i);
        max = Math.max(max, Math.abs(x - y));
        sum += Math.abs(x - y);
        dot += x * y;
        na += x * x;
        nb += y * y;
      }
      JsonNode t = got.get(name);
      assertEquals(max, t.get("max_abs_diff").asDouble(), 1e-12, name);
      assertEquals(sum / n, t.get("mean_abs_diff").asDouble(), 1e-12, name);
      assertEquals(dot / (Math.sqrt(na) * Math.sqrt(nb)), t.get("cosine").asDouble(), 1e-12,
          name);
      assertFalse(t.get("bytes_identical").asBoolean(), name);
      assertTrue(max > 0, name);
      overallMax = Math.max(overallMax, max);
    }
    assertEquals(overallMax, json(r).get("summary").get("max_abs_diff").asDouble(), 1e-12);
  }

  @Test
  void textTableIsInNaturalOrder() {
    Run r = cli("diff", a.toString(), b.toString());
    assertEquals(0, r.code(), r.err());
    List<String> names = new ArrayList<>(TinyModel.shapes().keySet());
    names.sort(NaturalOrder.INSTANCE);
    List<String> lines = r.out().lines().toList();
    int row = lines.indexOf(lines.stream().filter(l -> l.startsWith("TENSOR")).findFirst()
        .orElseThrow());
    for (int i = 0; i < names.size(); i++) {
      assertTrue(lines.get(row + 1 + i).startsWith(names.get(i) + " "), lines.get(row + 1 + i));
    }
    assertTrue(r.out().contains("summary: " + names.size() + " tensor(s) compared, 0"
        + " byte-identical"), r.out());
    assertTrue(r.out().contains("largest max abs difference: "), r.out());
  }

  @Test
  void tensorsOnOneSideAndShapeMismatchesAreStructuralDifferences() throws IOException {
    Run text = cli("diff", a.toString(), changed.toString());
    assertEquals(1, text.code(), text.out() + text.err());
    assertTrue(text.out().lines().anyMatch(l -> l.startsWith("lm_head.weight ")
        && l.contains("only in A (BF16 [13, 8])")), text.out());
    assertTrue(text.out().lines().anyMatch(l -> l.startsWith("model.extra.weight ")
        && l.contains("only in B (BF16 [2, 3])")), text.out());
    assertTrue(text.out().lines().anyMatch(l -> l.startsWith("model.norm.weight ")
        && l.contains("SHAPE MISMATCH: A BF16 [8], B BF16 [4]")), text.out());
    assertTrue(text.out().contains("the checkpoints differ in structure"), text.out());

    JsonNode report = json(cli("diff", "--json", a.toString(), changed.toString()));
    Map<String, JsonNode> t = byName(report);
    assertEquals("only_in_a", t.get("lm_head.weight").get("status").asText());
    assertEquals("only_in_b", t.get("model.extra.weight").get("status").asText());
    assertEquals("shape_mismatch", t.get("model.norm.weight").get("status").asText());
    assertEquals(4, t.get("model.norm.weight").get("shape_b").get(0).asInt());
    // The tensors both have are still compared: same salt, same values.
    assertEquals(0.0, t.get("model.embed_tokens.weight").get("max_abs_diff").asDouble());
    JsonNode s = report.get("summary");
    assertEquals(1, s.get("only_in_a").asInt());
    assertEquals(1, s.get("only_in_b").asInt());
    assertEquals(1, s.get("shape_mismatches").asInt());
    assertEquals(TinyModel.shapes().size() - 2, s.get("compared").asInt());
    assertTrue(s.get("structure_differs").asBoolean());
    assertEquals(1, report.get("exit_code").asInt());
  }

  @Test
  void toleranceDecidesTheExitCode() throws IOException {
    double max = json(cli("diff", "--json", a.toString(), b.toString())).get("summary")
        .get("max_abs_diff").asDouble();
    Run within = cli("diff", "--tolerance", String.valueOf(max), a.toString(), b.toString());
    assertEquals(0, within.code(), within.out());
    assertTrue(within.out().contains("0 tensor(s) exceed the tolerance"), within.out());
    Run over = cli("diff", "--tolerance", "0.001", a.toString(), b.toString());
    assertEquals(1, over.code(), over.out());
    assertTrue(over.out().contains(TinyModel.shapes().size()
        + " tensor(s) exceed the tolerance 0.001"), over.out());
    assertTrue(over.out().contains("EXCEEDS TOLERANCE"), over.out());
    JsonNode j = json(cli("diff", "--json", "--tolerance", "0.001", a.toString(), b.toString()));
    assertEquals(1, j.get("exit_code").asInt());
    assertTrue(j.get("tensors").get(0).get("exceeds_tolerance").asBoolean());
    assertEquals(0, cli("diff", "--tolerance", "0", a.toString(), aSharded.toString()).code());
    assertEquals(1, cli("diff", "--tolerance", "-1", a.toString(), b.toString()).code());
  }

  @Test
  void dtypeMismatchComparesValuesAndCountsAsStructureUnlessIgnored() throws IOException {
    Run r = cli("diff", "--json", a.toString(), aF32.toString());
    assertEquals(1, r.code(), r.out());
    JsonNode report = json(r);
    for (JsonNode t : report.get("tensors")) {
      assertTrue(t.get("dtype_mismatch").asBoolean());
      assertEquals("F32", t.get("dtype_b").asText());
      assertEquals(0.0, t.get("max_abs_diff").asDouble(), t.toString());
      assertFalse(t.get("bytes_identical").asBoolean());
    }
    assertEquals(TinyModel.shapes().size(),
        report.get("summary").get("dtype_mismatches").asInt());
    Run ignored = cli("diff", "--ignore-dtype", "--tolerance", "0", a.toString(),
        aF32.toString());
    assertEquals(0, ignored.code(), ignored.out());
    assertTrue(ignored.out().contains("BF16->F32"), ignored.out());
  }

  @Test
  void singleSafetensorsFilesAreAccepted() throws IOException {
    Run r = cli("diff", "--json", a.resolve("model.safetensors").toString(),
        aSharded.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals("safetensors file", json(r).get("a").get("kind").asText());
  }

  @Test
  void missingCheckpointIsAnError() {
    Run r = cli("diff", a.toString(), tmp.resolve("nope").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no such file or directory"), r.err());
  }
}
