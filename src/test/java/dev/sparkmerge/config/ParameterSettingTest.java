package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parameter shapes and filters, reference/mergekit.md §1.1 and §2.5. */
class ParameterSettingTest {
  private static final String Q = "model.layers.7.self_attn.q_proj.weight";
  private static final String O = "model.layers.7.self_attn.o_proj.weight";
  private static final String GATE = "model.layers.7.mlp.gate_proj.weight";
  private static final String NORM = "model.layers.7.input_layernorm.weight";
  private static final String EMBED = "model.embed_tokens.weight";

  /**
   * The top-level setting of {@code lambda} (an optional global parameter, so filter lists
   * without a fallback are valid) in a ties config with the given parameters block.
   */
  private static ParameterSetting t(String parameters) {
    return Configs.load("merge_method: ties\nbase_model: a\nmodels:\n  - model: b\n"
        + "parameters:\n  weight: 1\n" + parameters).parameters().get("lambda");
  }

  @Test
  void filtersAreSubstringsAndFallThrough() {
    ParameterSetting s = t(
        "  lambda:\n"
            + "    - filter: self_attn\n      value: 0.1\n"
            + "    - filter: mlp\n      value: 0.2\n");
    assertEquals(0.1, s.evaluate(Q, 0.5), 0);
    assertEquals(0.2, s.evaluate(GATE, 0.5), 0);
    assertNull(s.evaluate(NORM, 0.5)); // neither matches: lookup continues at the next level
    assertNull(s.evaluate(EMBED, 0.0));
    assertFalse(s.matchesEveryTensor());
  }

  @Test
  void unfilteredEntryCatchesTheRestAndValuesMayBeGradients() {
    ParameterSetting s = t(
        "  lambda:\n"
            + "    - filter: self_attn\n      value: [0, 0.5, 0.3, 0.7, 1]\n"
            + "    - filter: mlp\n      value: [1, 0.5, 0.7, 0.3, 0]\n"
            + "    - value: 0.5\n");
    assertEquals(19.3 / 39, s.evaluate(Q, Gradients.t(10, 40)), 1e-15);
    assertEquals((38 * 0.5 + 0.7) / 39, s.evaluate(GATE, Gradients.t(10, 40)), 1e-15);
    assertEquals(0.5, s.evaluate(NORM, 0.3), 0);
    assertEquals(0.0, s.evaluate(Q, 0.0), 0); // embeddings and lm_head use t = 0
    assertTrue(s.matchesEveryTensor());
  }

  @Test
  void earlierEntriesShadowLaterOnes() {
    ParameterSetting s = t(
        "  lambda:\n    - filter: proj\n      value: 0.1\n    - filter: o_proj\n      value: 0.9\n");
    assertEquals(0.1, s.evaluate(O, 0), 0); // 'proj' comes first and matches o_proj too
  }

  @Test
  void filtersAreCaseSensitiveAndStarMatchesAll() {
    ParameterSetting s = t(
        "  lambda:\n    - filter: SELF_ATTN\n      value: 0.1\n    - filter: '*'\n      value: 0.3\n");
    assertEquals(0.3, s.evaluate(Q, 0), 0);
    assertTrue(s.matchesEveryTensor());
  }

  @Test
  void singleConditionalMapping() {
    ParameterSetting s = t("  lambda: {filter: mlp, value: 0.25}\n");
    assertEquals(0.25, s.evaluate(GATE, 0), 0);
    assertNull(s.evaluate(Q, 0));
  }

  @Test
  void numericStringsAndBooleansAreNumbers() {
    JobSpec job = Configs.load("merge_method: ties\nbase_model: b\nmodels:\n"
        + "  - model: a\n    parameters: {weight: 1e-5, density: '0.5'}\n"
        + "parameters:\n  normalize: true\n  int8_mask: off\n  lambda: 1_000\n");
    ParameterSet p = job.slices().get(0).sources().get(0).parameters();
    assertEquals(1e-5, p.get("weight").evaluate(Q, 0), 0);
    assertEquals(0.5, p.get("density").evaluate(Q, 0), 0);
    assertEquals(1.0, job.parameters().get("normalize").evaluate(Q, 0), 0);
    assertEquals(0.0, job.parameters().get("int8_mask").evaluate(Q, 0), 0);
    assertEquals(1000.0, job.parameters().get("lambda").evaluate(Q, 0), 0);
  }

  @Test
  void choices() {
    JobSpec job = Configs.load("merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n"
        + "parameters:\n  weight: 1\n  consensus: count\n");
    ParameterSetting s = job.parameters().get("consensus");
    assertTrue(s.isChoice());
    assertEquals("count", s.choice());
    assertEquals("count", s.choice(Q));
    assertThrows(IllegalStateException.class, () -> s.evaluate(Q, 0));
    assertNull(job.parameters().get("weight").choice());
  }

  @Test
  void factoriesAndDisplay() {
    assertEquals(0.75, ParameterSetting.gradient(0, 1).evaluate(Q, 0.75), 0);
    assertEquals(2.0, ParameterSetting.scalar(2).evaluate(Q, 0.75), 0);
    assertEquals("[0.0, 1.0]", ParameterSetting.gradient(0, 1).toString());
    assertEquals("[{filter: mlp, value: 0.25}]", t("  lambda: {filter: mlp, value: 0.25}\n").toString());
  }
}
