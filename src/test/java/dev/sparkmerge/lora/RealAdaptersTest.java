package dev.sparkmerge.lora;

import static dev.sparkmerge.lora.LoraFixtures.FS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real adapters of shared/models mapped onto stand-in bases with the real names and shapes,
 * and their ΔW checked element by element against float64 s·B·A computed here from the raw file
 * bytes.
 */
class RealAdaptersTest {
  static final List<String> GPT2 = List.of("gpt2-lora-jasencarroll-clm", "gpt2-lora-tigrinya-clm",
      "gpt2-lora-jaisharmz-clm", "gpt2-lora-sidmahurkar-emotion-seqcls",
      "gpt2-lora-anirudh-emotion-seqcls");
  static final List<String> SMOLLM = List.of("smollm135m-instruct-lora-medflash-5ep",
      "smollm135m-instruct-lora-medflash-100ep", "smollm135m-instruct-lora-medflash-100ep-step1000");
  static final List<String> MINILM = List.of("minilm-l6-lora-dee66-a", "minilm-l6-lora-dee66-b",
      "minilm-l6-lora-dee66-c", "minilm-l6-lora-dee66-d");

  @TempDir static Path tmp;
  static HfModel gpt2;
  static HfModel gpt2Prefixed;
  static HfModel smol;
  static HfModel smolBare;
  static HfModel miniLm;

  @BeforeAll
  static void bases() throws Exception {
    LoraFixtures.models();
    gpt2 = open(LoraFixtures.zeroBase(tmp.resolve("gpt2"),
        LoraFixtures.specs(LoraFixtures.gpt2Shapes(""), DType.F32), LoraFixtures.GPT2_CONFIG));
    gpt2Prefixed = open(LoraFixtures.zeroBase(tmp.resolve("gpt2-prefixed"),
        LoraFixtures.specs(LoraFixtures.gpt2Shapes("transformer."), DType.F32),
        LoraFixtures.GPT2_CONFIG));
    smol = open(LoraFixtures.smolBase(tmp.resolve("smol")));
    smolBare = open(LoraFixtures.zeroBase(tmp.resolve("smol-bare"),
        LoraFixtures.specs(LoraFixtures.smolShapes(""), DType.BF16),
        LoraFixtures.SMOLLM_CONFIG.replace("LlamaForCausalLM", "LlamaModel")));
    miniLm = open(LoraFixtures.zeroBase(tmp.resolve("minilm"), LoraFixtures.miniLmSpecs(),
        Files.readString(LoraFixtures.model("negative-truncated-all-MiniLM-L6-v2")
            .resolve("config.json"))));
  }

  static HfModel open(Path dir) {
    return HfModel.open(FS, dir.toString());
  }

  static PeftAdapter adapter(String name) {
    return PeftAdapter.open(FS, LoraFixtures.model(name).toString());
  }

  @Test
  void gpt2AdaptersOnThePublishedLayoutWithoutPrefix() {
    for (String name : GPT2) {
      PeftAdapter a = adapter(name);
      AdapterMapping m = AdapterMapping.map(a, gpt2);
      assertEquals(a.modules().size(), m.targets().size(), name);
      for (LoraTarget t : m.targets().values()) {
        assertTrue(t.transposed(), t.toString()); // Conv1D: ΔW stored as (s·B·A)ᵀ
        assertFalse(t.baseTensorName().startsWith("transformer."), t.toString());
        assertEquals(t.modulePath().substring("transformer.".length()) + ".weight",
            t.baseTensorName());
      }
      boolean seqcls = name.contains("seqcls");
      assertEquals(seqcls ? Set.of("score.weight") : Set.of(), m.addedTensors(), name);
      assertEquals(seqcls ? Set.of("score.weight") : Set.of(), m.replacements().keySet(), name);
      if (seqcls) {
        assertEquals("base_model.model.score.weight",
            m.replacements().get("score.weight").info().name());
        assertTrue(m.replacements().get("score.weight").file().endsWith(
            name + "/adapter_model.safetensors"));
        assertTrue(m.warnings().stream().anyMatch(w -> w.contains("score.weight")
            && w.contains("no architecture prefix")), m.warnings().toString());
      }
      List<String> modules = name.contains("tigrinya")
          ? List.of("transformer.h.0.attn.c_attn", "transformer.h.3.attn.c_proj",
              "transformer.h.5.mlp.c_proj", "transformer.h.11.attn.c_attn")
          : List.of("transformer.h.0.attn.c_attn", "transformer.h.11.attn.c_attn");
      for (String module : modules) {
        checkAgainstFloat64(name, m, module);
      }
    }
  }

  @Test
  void tigrinyaCProjHasBothShapes() {
    AdapterMapping m = AdapterMapping.map(adapter("gpt2-lora-tigrinya-clm"), gpt2);
    assertArrayEquals(new long[] {3072, 768}, m.targets().get("h.5.mlp.c_proj.weight").baseShape());
    assertArrayEquals(new long[] {768, 768}, m.targets().get("h.5.attn.c_proj.weight").baseShape());
    assertEquals(4.0, m.targets().get("h.5.mlp.c_proj.weight").scale()); // 32 / 8
  }

  @Test
  void withoutConfigJsonOrientationComesFromShapesAndConv1dNames() {
    // A bare .safetensors file has no config.json: c_attn [768, 2304] fits only transposed,
    // the square attn.c_proj falls back to the Conv1D name rule; the user is warned.
    HfModel bare = HfModel.open(FS, tmp.resolve("gpt2/model.safetensors").toString());
    AdapterMapping m = AdapterMapping.map(adapter("gpt2-lora-tigrinya-clm"), bare);
    assertEquals(36, m.targets().size());
    assertTrue(m.targets().values().stream().allMatch(LoraTarget::transposed));
    assertTrue(m.warnings().stream().anyMatch(w -> w.contains("no config.json")));
    checkAgainstFloat64("gpt2-lora-tigrinya-clm", m, "transformer.h.1.attn.c_proj");
  }

  @Test
  void gpt2AdaptersOnABaseWithTheTransformerPrefix() {
    for (String name : List.of("gpt2-lora-jasencarroll-clm", "gpt2-lora-sidmahurkar-emotion-seqcls")) {
      AdapterMapping m = AdapterMapping.map(adapter(name), gpt2Prefixed);
      assertEquals(12, m.targets().size());
      assertNotNull(m.targets().get("transformer.h.7.attn.c_attn.weight"));
      assertTrue(m.targets().values().stream().allMatch(LoraTarget::transposed));
      if (name.contains("seqcls")) {
        assertEquals(Set.of("score.weight"), m.addedTensors());
      }
      checkAgainstFloat64(name, m, "transformer.h.7.attn.c_attn");
    }
  }

  @Test
  void smollmAdaptersWithGroupedQueryValueProjection() {
    for (String name : SMOLLM) {
      AdapterMapping m = AdapterMapping.map(adapter(name), smol);
      assertEquals(60, m.targets().size(), name);
      LoraTarget v = m.targets().get("model.layers.29.self_attn.v_proj.weight");
      assertArrayEquals(new long[] {192, 576}, v.baseShape());
      assertFalse(v.transposed());
      assertEquals(2.0, v.scale());
      assertTrue(m.replacements().isEmpty());
      for (String module : List.of("model.layers.0.self_attn.q_proj",
          "model.layers.0.self_attn.v_proj", "model.layers.29.self_attn.v_proj")) {
        checkAgainstFloat64(name, m, module);
      }
    }
  }

  @Test
  void smollmAdapterOnABareModelWithoutTheModelPrefix() {
    AdapterMapping m = AdapterMapping.map(adapter(SMOLLM.get(0)), smolBare);
    assertEquals(60, m.targets().size());
    LoraTarget q = m.targets().get("layers.4.self_attn.q_proj.weight");
    assertEquals("model.layers.4.self_attn.q_proj", q.modulePath());
    checkAgainstFloat64(SMOLLM.get(0), m, "model.layers.4.self_attn.q_proj");
  }

  @Test
  void miniLmAdaptersEveryModuleEveryElement() {
    for (String name : MINILM) {
      PeftAdapter a = adapter(name);
      AdapterMapping m = AdapterMapping.map(a, miniLm);
      assertEquals(12, m.targets().size(), name);
      for (LoraTarget t : m.targets().values()) {
        assertFalse(t.transposed());
        assertEquals(t.modulePath() + ".weight", t.baseTensorName());
        assertEquals(4.0, t.scale()); // 16 / 4
        checkAgainstFloat64(name, m, t.modulePath());
      }
    }
  }

  @Test
  void fillIsChunkIndependentBitForBit() {
    check(AdapterMapping.map(adapter("gpt2-lora-tigrinya-clm"), gpt2)
        .targets().get("h.5.mlp.c_proj.weight"));
    check(AdapterMapping.map(adapter("gpt2-lora-anirudh-emotion-seqcls"), gpt2)
        .targets().get("h.0.attn.c_attn.weight"));
    check(AdapterMapping.map(adapter(SMOLLM.get(1)), smol)
        .targets().get("model.layers.10.self_attn.v_proj.weight"));
  }

  private static void check(LoraTarget t) {
    LoraDelta d = LoraDelta.load(t, FS);
    int numel = (int) d.numel();
    float[] whole = new float[numel];
    d.fill(0, numel, whole);
    for (int[] sizeAndStart : new int[][] {{1, 0}, {7, 0}, {4096, 0}, {4096, 3}, {numel, 0}}) {
      int size = sizeAndStart[0];
      float[] buf = new float[size];
      for (long start = sizeAndStart[1]; start < numel; start += size) {
        int n = (int) Math.min(size, numel - start);
        d.fill(start, n, buf);
        for (int i = 0; i < n; i++) {
          if (Float.floatToRawIntBits(buf[i]) != Float.floatToRawIntBits(whole[(int) start + i])) {
            fail(t + ": chunk size " + size + " gives a different value at " + (start + i));
          }
        }
      }
    }
    // addTo(base) = base + fill, element by element in float, for any chunking.
    float[] base = LoraFixtures.values(numel, 5);
    float[] viaAdd = base.clone();
    for (int start = 0; start < numel; start += 7) {
      int n = Math.min(7, numel - start);
      float[] chunk = new float[n];
      System.arraycopy(viaAdd, start, chunk, 0, n);
      d.addTo(start, n, chunk);
      System.arraycopy(chunk, 0, viaAdd, start, n);
    }
    for (int i = 0; i < numel; i++) {
      assertEquals(Float.floatToRawIntBits(base[i] + whole[i]),
          Float.floatToRawIntBits(viaAdd[i]), "addTo at " + i);
    }
  }

  /**
   * Every element of the module's ΔW against float64. Tolerance: the rank sum is r float products
   * added in float (each product and each addition rounded once: ≤ r·u·Σ|B·A| with u = 2⁻²⁴),
   * then one rounding for × s; so |err| ≤ (r + 2)·u·s·Σ_k|B[o,k]·A[k,i]|.
   */
  static void checkAgainstFloat64(String adapterName, AdapterMapping m, String module) {
    LoraTarget t = m.targets().values().stream().filter(x -> x.modulePath().equals(module))
        .findFirst().orElseThrow(() -> new AssertionError(module + " not mapped"));
    Path file = LoraFixtures.model(adapterName).resolve("adapter_model.safetensors");
    String key = "base_model.model." + module;
    double[] a = LoraFixtures.rawF32(file, key + ".lora_A.weight");
    double[] b = LoraFixtures.rawF32(file, key + ".lora_B.weight");
    int r = t.rank();
    int in = (int) t.inFeatures();
    int out = (int) t.outFeatures();
    // s from adapter_config.json read here (none of these adapters uses rsLoRA or patterns).
    double s;
    try {
      com.fasterxml.jackson.databind.JsonNode c = LoraFixtures.JSON.readTree(
          LoraFixtures.model(adapterName).resolve("adapter_config.json").toFile());
      s = c.get("lora_alpha").asDouble() / c.get("r").asInt();
      assertEquals(r, c.get("r").asInt());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertEquals(s, t.scale(), 0.0, module);
    double[][] ref = LoraFixtures.referenceDelta(a, b, r, in, out, s, t.transposed());
    LoraDelta d = LoraDelta.load(t, FS);
    float[] got = new float[(int) d.numel()];
    d.fill(0, got.length, got);
    double u = Math.scalb(1.0, -24);
    int nonZero = 0;
    for (int i = 0; i < got.length; i++) {
      double tol = (r + 2) * u * ref[1][i] + Float.MIN_VALUE;
      if (Math.abs(got[i] - ref[0][i]) > tol) {
        fail(adapterName + " " + module + " element " + i + ": " + got[i] + " vs float64 "
            + ref[0][i] + " (tolerance " + tol + ")");
      }
      nonZero += got[i] != 0 ? 1 : 0;
    }
    assertTrue(nonZero > got.length / 2, module + ": ΔW is mostly zero");
  }
}
