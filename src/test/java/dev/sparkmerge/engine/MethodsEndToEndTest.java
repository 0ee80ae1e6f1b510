package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.GeneratedModel;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sparkmerge run` end to end for the planning features: slices/passthrough layer stacking,
 * gradients and filters (reference/mergekit.md §2.3–§2.5), a sharded input beside a single-file
 * one, bf16 in and out, and a non-floating tensor copied unchanged. Every expected value is
 * computed here in float64 from {@link TinyModel#value} (or {@link GeneratedModel#value}).
 */
class MethodsEndToEndTest {
  @TempDir static Path tmp;
  static Path a;
  static Path b;
  static Path base;

  @BeforeAll
  static void models() throws IOException {
    TestSpark.context();
    a = TinyModel.write(tmp.resolve("a"), "a", DType.BF16);
    b = TinyModel.write(tmp.resolve("b"), "b", DType.BF16);
    base = TinyModel.write(tmp.resolve("base"), "base", DType.BF16);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers shared with the other end-to-end tests of this package
  // ---------------------------------------------------------------------------------------------

  /** Llama-named tensors like {@link TinyModel#shapes()}, with any size and dtype. */
  static List<TensorSpec> llama(DType dtype, int layers, int hidden, int vocab) {
    List<TensorSpec> s = new ArrayList<>();
    s.add(new TensorSpec("model.embed_tokens.weight", dtype, new long[] {vocab, hidden}));
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      s.add(new TensorSpec(p + "input_layernorm.weight", dtype, new long[] {hidden}));
      s.add(new TensorSpec(p + "self_attn.q_proj.weight", dtype, new long[] {hidden, hidden}));
      s.add(new TensorSpec(p + "self_attn.v_proj.weight", dtype,
          new long[] {hidden / 2, hidden}));
      s.add(new TensorSpec(p + "mlp.down_proj.weight", dtype, new long[] {hidden, 2L * hidden}));
    }
    s.add(new TensorSpec("model.norm.weight", dtype, new long[] {hidden}));
    s.add(new TensorSpec("lm_head.weight", dtype, new long[] {vocab, hidden}));
    return s;
  }

  /** The element of a non-floating (integer) tensor in the model with this salt. */
  static long intValue(String salt, long index) {
    return index * 3 + salt.length();
  }

  /**
   * Writes a model directory on any Hadoop path: floating tensors hold
   * {@code TinyModel.value(salt, name, i)} (exact in BF16, F16 and F32), integer tensors
   * {@link #intValue}; {@code shards > 1} deals the tensors to that many files in order and
   * writes an index. config.json says {@code layers} layers.
   */
  static org.apache.hadoop.fs.Path writeSalted(CheckpointFs fs, org.apache.hadoop.fs.Path dir,
      String salt, List<TensorSpec> specs, int shards, int layers) {
    try {
      FileSystem hfs = fs.fileSystem(dir);
      hfs.mkdirs(dir);
      Map<String, String> weightMap = new TreeMap<>();
      for (int s = 0; s < shards; s++) {
        String file = shards == 1 ? "model.safetensors"
            : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
        List<TensorSpec> mine = new ArrayList<>();
        for (int j = 0; j < specs.size(); j++) {
          if ((long) j * shards / specs.size() == s) {
            mine.add(specs.get(j));
            weightMap.put(specs.get(j).name(), file);
          }
        }
        SafetensorsLayout layout = SafetensorsLayout.of(mine, Map.of());
        try (SafetensorsWriter w = SafetensorsWriter.create(fs,
            new org.apache.hadoop.fs.Path(dir, file), layout, false)) {
          for (TensorInfo t : layout.tensors()) {
            if (t.dtype().isFloatingPoint()) {
              float[] v = new float[(int) t.numel()];
              for (int i = 0; i < v.length; i++) {
                v[i] = TinyModel.value(salt, t.name(), i);
              }
              w.writeFloats(v, 0, v.length);
            } else {
              ByteBuffer buf = ByteBuffer.allocate((int) t.byteLength())
                  .order(ByteOrder.LITTLE_ENDIAN);
              for (long i = 0; i < t.numel(); i++) {
                buf.putLong(intValue(salt, i));
              }
              buf.flip();
              w.writeBytes(buf);
            }
          }
          w.commit();
        }
      }
      ObjectMapper json = new ObjectMapper();
      if (shards > 1) {
        ObjectNode index = json.createObjectNode();
        long total = 0;
        for (TensorSpec s : specs) {
          long n = s.dtype().byteSize();
          for (long d : s.shape()) {
            n *= d;
          }
          total += n;
        }
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        writeText(hfs, new org.apache.hadoop.fs.Path(dir, "model.safetensors.index.json"),
            index.toPrettyString());
      }
      boolean tied = specs.stream().noneMatch(s -> s.name().equals("lm_head.weight"));
      writeText(hfs, new org.apache.hadoop.fs.Path(dir, "config.json"),
          "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\","
              + " \"num_hidden_layers\": " + layers + ", \"tie_word_embeddings\": " + tied
              + ", \"torch_dtype\": \"bfloat16\"}\n");
      writeText(hfs, new org.apache.hadoop.fs.Path(dir, "tokenizer.json"),
          "{\"salt\": \"" + salt + "\"}\n");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeText(FileSystem fs, org.apache.hadoop.fs.Path p, String text)
      throws IOException {
    try (FSDataOutputStream out = fs.create(p, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  static org.apache.hadoop.fs.Path local(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  /** A tensor of a model (local or any Hadoop location) decoded to float32. */
  static float[] readFloats(CheckpointFs fs, String model, String tensor) {
    TensorLocation loc = HfModel.open(fs, model).require(tensor);
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      float[] v = new float[(int) loc.info().numel()];
      f.readFloats(loc.info(), 0, v, 0, v.length, null);
      return v;
    }
  }

  /** The stored bytes and dtype of a tensor. */
  static byte[] readRaw(CheckpointFs fs, String model, String tensor) {
    TensorLocation loc = HfModel.open(fs, model).require(tensor);
    try (SafetensorsFile f = SafetensorsFile.open(fs, new org.apache.hadoop.fs.Path(loc.file()))) {
      ByteBuffer buf = ByteBuffer.allocate((int) loc.info().byteLength());
      f.readBytes(loc.info(), 0, buf);
      return buf.array();
    }
  }

  static DType dtypeOf(CheckpointFs fs, String model, String tensor) {
    return HfModel.open(fs, model).require(tensor).info().dtype();
  }

  static MergeRunTest.Run runOk(Path cfg, Path out, String... options) {
    List<String> args = new ArrayList<>(List.of("run", "-q"));
    args.addAll(List.of(options));
    args.add(cfg.toString());
    args.add(out.toString());
    MergeRunTest.Run r = MergeRunTest.cli(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err() + r.out());
    return r;
  }

  private static Path config(String name, String yaml) throws IOException {
    Path p = tmp.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  /** Round to nearest even BF16, from float64 through float32 as the engine does. */
  static float bf16(double x) {
    int bits = Float.floatToRawIntBits((float) x);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  static double bf16HalfUlp(double x) {
    float f = Math.abs((float) x);
    if (f == 0) {
      return 0;
    }
    return Math.ulp(f) * 65536.0 / 2; // BF16 keeps 8 of float32's 24 significant bits
  }

  // ---------------------------------------------------------------------------------------------
  // Slices and passthrough
  // ---------------------------------------------------------------------------------------------

  @Test
  void frankenmergeStacksLayersFromTheRightSources() throws Exception {
    Path cfg = config("franken.yml", "merge_method: passthrough\n"
        + "slices:\n"
        + "  - sources:\n      - model: " + a + "\n        layer_range: [0, 2]\n"
        + "  - sources:\n      - model: " + b + "\n        layer_range: [1, 3]\n");
    Path out = tmp.resolve("out-franken");
    runOk(cfg, out);
    CheckpointFs fs = CheckpointFs.withDefaults();
    // Output layer -> (salt, input layer): A0, A1, B1, B2.
    String[] salts = {"a", "a", "b", "b"};
    int[] from = {0, 1, 1, 2};
    String[] parts = {"input_layernorm.weight", "self_attn.q_proj.weight",
        "self_attn.v_proj.weight", "mlp.down_proj.weight"};
    HfModel merged = HfModel.open(fs, out.toString());
    assertEquals(3 + 4 * parts.length, merged.tensors().size(), merged.tensors().keySet()
        .toString());
    for (int l = 0; l < 4; l++) {
      for (String part : parts) {
        String outName = "model.layers." + l + "." + part;
        String inName = "model.layers." + from[l] + "." + part;
        float[] got = readFloats(fs, out.toString(), outName);
        for (int i = 0; i < got.length; i++) {
          assertEquals(Float.floatToRawIntBits(TinyModel.value(salts[l], inName, i)),
              Float.floatToRawIntBits(got[i]), outName + "[" + i + "]");
        }
        assertArrayEquals(readRaw(fs, (salts[l].equals("a") ? a : b).toString(), inName),
            readRaw(fs, out.toString(), outName), outName + " byte for byte");
        assertEquals(DType.BF16, dtypeOf(fs, out.toString(), outName));
      }
    }
    // Pre-weights from the first slice's sources (A), post-weights from the last slice's (B).
    assertArrayEquals(readRaw(fs, a.toString(), "model.embed_tokens.weight"),
        readRaw(fs, out.toString(), "model.embed_tokens.weight"));
    assertArrayEquals(readRaw(fs, b.toString(), "model.norm.weight"),
        readRaw(fs, out.toString(), "model.norm.weight"));
    assertArrayEquals(readRaw(fs, b.toString(), "lm_head.weight"),
        readRaw(fs, out.toString(), "lm_head.weight"));
    JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
    assertEquals(4, config.get("num_hidden_layers").asInt());
    assertEquals("LlamaForCausalLM", config.get("architectures").get(0).asText());
    assertEquals("{\"salt\": \"a\"}\n", Files.readString(out.resolve("tokenizer.json")),
        "donor without a base: the first source of the first slice");
  }

  // ---------------------------------------------------------------------------------------------
  // Gradients and filters
  // ---------------------------------------------------------------------------------------------

  @Test
  void linearWeightGradientAndFiltersResolvePerTensor() throws Exception {
    // A's weight: self_attn tensors follow [0, 1] over the 3 layers (t = 0, 0.5, 1); mlp tensors
    // take 1; anything else (norms, embeddings, head) falls through to the top level: 0.25.
    // B: 1 everywhere.
    Path cfg = config("gradient.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + a + "\n"
        + "    parameters:\n"
        + "      weight:\n"
        + "        - filter: self_attn\n          value: [0, 1]\n"
        + "        - filter: mlp\n          value: 1\n"
        + "  - model: " + b + "\n    parameters: {weight: 1}\n"
        + "parameters:\n  weight: 0.25\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out-gradient");
    runOk(cfg, out);
    CheckpointFs fs = CheckpointFs.withDefaults();
    double[] layerT = {0.0, 0.5, 1.0};
    for (String name : TinyModel.shapes().keySet()) {
      double wa;
      if (name.contains("self_attn")) {
        int layer = Integer.parseInt(name.split("\\.")[2]);
        wa = layerT[layer]; // gradient [0, 1] at t = k / (L - 1)
      } else if (name.contains("mlp")) {
        wa = 1;
      } else {
        wa = 0.25;
      }
      float[] got = readFloats(fs, out.toString(), name);
      for (int i = 0; i < got.length; i++) {
        double want = (wa * TinyModel.value("a", name, i) + 1.0 * TinyModel.value("b", name, i))
            / (wa + 1.0);
        assertEquals(want, got[i], 1e-6, name + "[" + i + "] with A's weight " + wa);
      }
    }
    // Layer 0's self_attn has A's weight 0: exactly B.
    float[] q0 = readFloats(fs, out.toString(), "model.layers.0.self_attn.q_proj.weight");
    for (int i = 0; i < q0.length; i++) {
      assertEquals(TinyModel.value("b", "model.layers.0.self_attn.q_proj.weight", i), q0[i]);
    }
  }

  /** Slerp as reference/mergekit.md §3.2 states it, in float64. */
  static double[] slerp(double t, double[] v0, double[] v1) {
    double n0 = 0;
    double n1 = 0;
    for (int i = 0; i < v0.length; i++) {
      n0 += v0[i] * v0[i];
      n1 += v1[i] * v1[i];
    }
    n0 = Math.sqrt(n0);
    n1 = Math.sqrt(n1);
    double c = 0;
    for (int i = 0; i < v0.length; i++) {
      c += (n0 > 1e-8 ? v0[i] / n0 : v0[i]) * (n1 > 1e-8 ? v1[i] / n1 : v1[i]);
    }
    double[] y = new double[v0.length];
    if (Math.abs(c) > 0.9995) {
      for (int i = 0; i < y.length; i++) {
        y[i] = (1 - t) * v0[i] + t * v1[i];
      }
      return y;
    }
    double theta = Math.acos(c);
    double s = Math.sin(theta);
    for (int i = 0; i < y.length; i++) {
      y[i] = (Math.sin((1 - t) * theta) * v0[i] + Math.sin(t * theta) * v1[i]) / s;
    }
    return y;
  }

  @Test
  void slerpGradientWithFilterFollowsTheLayerPosition() throws Exception {
    // self_attn: t from [0, 1] (0, 0.5, 1 over 3 layers); everything else: [0.2, 0.6], which
    // gives 0.2 for the embeddings, norm and head (t = 0) and 0.2, 0.4, 0.6 in the layers.
    Path cfg = config("slerp-gradient.yml", "merge_method: slerp\n"
        + "base_model: " + base + "\n"
        + "models:\n  - model: " + base + "\n  - model: " + a + "\n"
        + "parameters:\n  t:\n    - filter: self_attn\n      value: [0, 1]\n"
        + "    - value: [0.2, 0.6]\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out-slerp-gradient");
    runOk(cfg, out);
    CheckpointFs fs = CheckpointFs.withDefaults();
    for (String name : TinyModel.shapes().keySet()) {
      String[] parts = name.split("\\.");
      double pos = name.startsWith("model.layers.") ? Integer.parseInt(parts[2]) / 2.0 : 0.0;
      double t = name.contains("self_attn") ? pos : 0.2 + 0.4 * pos;
      int n = (int) TinyModel.shapes().get(name)[0]
          * (TinyModel.shapes().get(name).length > 1 ? (int) TinyModel.shapes().get(name)[1] : 1);
      double[] v0 = new double[n];
      double[] v1 = new double[n];
      for (int i = 0; i < n; i++) {
        v0[i] = TinyModel.value("base", name, i);
        v1[i] = TinyModel.value("a", name, i);
      }
      double[] want = slerp(t, v0, v1);
      float[] got = readFloats(fs, out.toString(), name);
      assertEquals(n, got.length, name);
      for (int i = 0; i < n; i++) {
        assertEquals(want[i], got[i], 2e-6, name + "[" + i + "] at t = " + t);
      }
      if (t == 0.0) {
        for (int i = 0; i < n; i++) {
          assertEquals((float) v0[i], got[i], name + ": t = 0 gives the base exactly");
        }
      } else if (t == 1.0) {
        for (int i = 0; i < n; i++) {
          assertEquals((float) v1[i], got[i], name + ": t = 1 gives the other model exactly");
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sharded input, bf16, raw integer tensors
  // ---------------------------------------------------------------------------------------------

  @Test
  void shardedInputMergesWithASingleFileModel() throws Exception {
    CheckpointFs fs = CheckpointFs.withDefaults();
    GeneratedModel g = GeneratedModel.llama().layers(2).hidden(32).shards(3).dtype(DType.BF16);
    Path sharded = tmp.resolve("generated-sharded");
    g.writeTo(fs, local(sharded));
    assertTrue(Files.exists(sharded.resolve("model-00003-of-00003.safetensors")));
    // The same tensors, single file, salted values.
    Path single = tmp.resolve("salted-single");
    writeSalted(fs, local(single), "s", g.tensors(), 1, g.layers());
    Path cfg = config("sharded.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + sharded + "\n    parameters: {weight: 0.25}\n"
        + "  - model: " + single + "\n    parameters: {weight: 0.75}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out-sharded");
    runOk(cfg, out);
    HfModel merged = HfModel.open(fs, out.toString());
    assertEquals(g.tensors().size(), merged.tensors().size(), "tied: no lm_head is invented");
    for (TensorSpec s : g.tensors()) {
      float[] got = readFloats(fs, out.toString(), s.name());
      for (int i = 0; i < got.length; i++) {
        double want = 0.25 * GeneratedModel.value(s.name(), i, DType.BF16)
            + 0.75 * TinyModel.value("s", s.name(), i);
        assertEquals(want, got[i], 1e-5, s.name() + "[" + i + "]");
      }
    }
  }

  @Test
  void bf16InputsGiveCorrectlyRoundedBf16Outputs() throws Exception {
    Path cfg = config("bf16.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + a + "\n    parameters: {weight: 0.3}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.7}\n"
        + "  - model: " + base + "\n    parameters: {weight: 0.45}\n"
        + "out_dtype: bfloat16\n");
    Path out = tmp.resolve("out-bf16");
    runOk(cfg, out);
    CheckpointFs fs = CheckpointFs.withDefaults();
    JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
    assertEquals("bfloat16", config.get("torch_dtype").asText());
    int exact = 0;
    int total = 0;
    for (String name : TinyModel.shapes().keySet()) {
      assertEquals(DType.BF16, dtypeOf(fs, out.toString(), name), name);
      float[] got = readFloats(fs, out.toString(), name);
      byte[] raw = readRaw(fs, out.toString(), name);
      assertEquals(2 * got.length, raw.length, name);
      for (int i = 0; i < got.length; i++) {
        double want = (0.3 * TinyModel.value("a", name, i) + 0.7 * TinyModel.value("b", name, i)
            + 0.45 * TinyModel.value("base", name, i)) / (0.3 + 0.7 + 0.45);
        float expected = bf16(want);
        // The stored 16 bits are the top half of the decoded float.
        int stored = (raw[2 * i] & 0xFF) | (raw[2 * i + 1] & 0xFF) << 8;
        assertEquals(Float.floatToRawIntBits(got[i]) >>> 16, stored, name + "[" + i + "]");
        total++;
        if (Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(got[i])) {
          exact++;
        } else {
          // Only a float32 rounding of the sum can move a value across a bf16 midpoint.
          assertEquals(want, got[i], bf16HalfUlp(want) + Math.ulp((float) want) * 2,
              name + "[" + i + "]: " + want + " -> " + got[i] + ", nearest even " + expected);
        }
      }
    }
    assertTrue(exact >= total - total / 100, exact + " of " + total + " bit-exact");
  }

  @Test
  void tensorMissingFromOneModelIsMergedFromTheOthers() throws Exception {
    // reference/mergekit.md §2.2/§2.6: for an inferred architecture a tensor missing from some
    // model is optional; that model does not take part and linear renormalizes over the rest.
    CheckpointFs fs = CheckpointFs.withDefaults();
    String gone = "model.layers.1.self_attn.v_proj.weight";
    List<TensorSpec> specs = new ArrayList<>(llama(DType.BF16, TinyModel.LAYERS,
        TinyModel.HIDDEN, TinyModel.VOCAB));
    specs.removeIf(s -> s.name().equals(gone));
    Path holey = tmp.resolve("holey");
    writeSalted(fs, local(holey), "h", specs, 1, TinyModel.LAYERS);
    Path cfg = config("holey.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + a + "\n    parameters: {weight: 0.3}\n"
        + "  - model: " + holey + "\n    parameters: {weight: 0.7}\n"
        + "dtype: float32\n");
    Path out = tmp.resolve("out-holey");
    runOk(cfg, out);
    for (String name : TinyModel.shapes().keySet()) {
      float[] got = readFloats(fs, out.toString(), name);
      for (int i = 0; i < got.length; i++) {
        double want = name.equals(gone) ? TinyModel.value("a", name, i)
            : 0.3 * TinyModel.value("a", name, i) + 0.7 * TinyModel.value("h", name, i);
        assertEquals(want, got[i], 1e-6, name + "[" + i + "]");
      }
    }
  }

  @Test
  void integerTensorIsCopiedUnchanged() throws Exception {
    CheckpointFs fs = CheckpointFs.withDefaults();
    List<TensorSpec> specs = new ArrayList<>(llama(DType.BF16, 2, 8, 11));
    specs.add(1, new TensorSpec("model.position_ids", DType.I64, new long[] {1, 16}));
    Path x = tmp.resolve("int-x");
    Path y = tmp.resolve("int-y");
    writeSalted(fs, local(x), "x", specs, 1, 2);
    writeSalted(fs, local(y), "yy", specs, 2, 2);
    Path cfg = config("int.yml", "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + x + "\n    parameters: {weight: 0.5}\n"
        + "  - model: " + y + "\n    parameters: {weight: 0.5}\n");
    Path out = tmp.resolve("out-int");
    runOk(cfg, out);
    assertEquals(DType.I64, dtypeOf(fs, out.toString(), "model.position_ids"));
    byte[] raw = readRaw(fs, out.toString(), "model.position_ids");
    assertEquals(16 * 8, raw.length);
    ByteBuffer buf = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 16; i++) {
      assertEquals(intValue("x", i), buf.getLong(), "position_ids[" + i + "] from the first model");
    }
    assertArrayEquals(readRaw(fs, x.toString(), "model.position_ids"), raw);
    // The floating tensors beside it are merged as usual.
    float[] norm = readFloats(fs, out.toString(), "model.norm.weight");
    for (int i = 0; i < norm.length; i++) {
      double want = 0.5 * TinyModel.value("x", "model.norm.weight", i)
          + 0.5 * TinyModel.value("yy", "model.norm.weight", i);
      assertEquals(want, norm[i], 1e-6);
    }
    Map<String, String> shards = MergeRunTest.shardHashes(out);
    assertFalse(shards.isEmpty());
    assertNotNull(HfModel.open(fs, out.toString()).find("model.position_ids"));
  }
}
