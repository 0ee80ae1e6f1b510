package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Lookup order (reference/mergekit.md §2.5) and normalisation (§2.1). */
class ParameterResolverTest {
  private static final String Q = "model.layers.3.self_attn.q_proj.weight";
  private static final String GATE = "model.layers.3.mlp.gate_proj.weight";
  private static final String NORM = "model.layers.3.post_attention_layernorm.weight";

  private static final String SLICES = String.join("\n",
      "merge_method: ties",
      "base_model: base",
      "parameters:",
      "  weight: 0.1",
      "  density: 0.9",
      "  normalize: true",
      "  lambda: [1, 2]",
      "slices:",
      "  - sources:",
      "      - model: a",
      "        layer_range: [0, 4]",
      "        parameters:",
      "          weight:",
      "            - filter: mlp",
      "              value: 0.7",
      "      - model: b",
      "        layer_range: [4, 8]",
      "      - model: base",
      "        layer_range: [0, 4]",
      "    parameters:",
      "      weight:",
      "        - filter: self_attn",
      "          value: 0.5",
      "      lambda:",
      "        - filter: mlp",
      "          value: 3",
      "  - sources:",
      "      - model: a",
      "        layer_range: [4, 6]",
      "      - model: base",
      "        layer_range: [4, 6]",
      "    base_model: base",
      "");

  @Test
  void perModelLooksAtSourceThenSliceThenTop() {
    JobSpec job = Configs.load(SLICES);
    assertTrue(job.slicesSyntax());
    SliceSpec s0 = job.slices().get(0);
    SourceSpec a = s0.sources().get(0);
    SourceSpec b = s0.sources().get(1);
    assertEquals(0.7, ParameterResolver.perModel("weight", job, s0, a, GATE, 0), 0); // source
    assertEquals(0.5, ParameterResolver.perModel("weight", job, s0, a, Q, 0), 0); // slice
    assertEquals(0.1, ParameterResolver.perModel("weight", job, s0, a, NORM, 0), 0); // top
    assertEquals(0.5, ParameterResolver.perModel("weight", job, s0, b, Q, 0), 0);
    assertEquals(0.1, ParameterResolver.perModel("weight", job, s0, b, GATE, 0), 0);
    assertEquals(0.9, ParameterResolver.perModel("density", job, s0, b, GATE, 0), 0);
    assertNull(ParameterResolver.perModel("epsilon", job, s0, b, GATE, 0));
  }

  @Test
  void globalLooksAtSliceThenTopWithGradients() {
    JobSpec job = Configs.load(SLICES);
    SliceSpec s0 = job.slices().get(0);
    SliceSpec s1 = job.slices().get(1);
    assertEquals(3.0, ParameterResolver.global("lambda", job, s0, GATE, 0.5), 0);
    assertEquals(1.5, ParameterResolver.global("lambda", job, s0, Q, 0.5), 0);
    assertEquals(1.0 + 1.0 / 3, ParameterResolver.global("lambda", job, s1, Q,
        Gradients.t(1, 4)), 1e-15);
    assertEquals(1.0, ParameterResolver.global("normalize", job, s1, Q, 0), 0);
    assertNull(ParameterResolver.global("rescale", job, s1, Q, 0));
  }

  @Test
  void slicesKeepRangesAndBaseOverrides() {
    JobSpec job = Configs.load(SLICES);
    assertEquals(2, job.slices().size());
    assertArrayEquals(new int[] {4, 8}, job.slices().get(0).sources().get(1).layerRange());
    assertEquals(4, job.slices().get(0).length());
    assertEquals(2, job.slices().get(1).length());
    assertNull(job.slices().get(0).baseModel());
    assertEquals("base", job.slices().get(1).baseModel().path());
    assertEquals("base", job.baseModelOf(job.slices().get(0)).path());
    assertFalse(job.baseAutoAppended());
  }

  @Test
  void modelsSyntaxAppendsTheBaseLast() {
    JobSpec job = Configs.load("merge_method: ties\nbase_model: base\nmodels:\n"
        + "  - model: a\n    parameters: {weight: 1, density: 0.5}\n"
        + "  - model: b\n    parameters: {weight: 2}\n"
        + "parameters:\n  density: 0.3\n");
    assertFalse(job.slicesSyntax());
    assertTrue(job.baseAutoAppended());
    SliceSpec only = job.slices().get(0);
    List<SourceSpec> sources = only.sources();
    assertEquals(List.of("a", "b", "base"), sources.stream().map(s -> s.model().path()).toList());
    assertNull(sources.get(2).layerRange());
    assertTrue(sources.get(2).parameters().isEmpty());
    assertEquals(0.5, ParameterResolver.perModel("density", job, only, sources.get(0), Q, 0), 0);
    assertEquals(0.3, ParameterResolver.perModel("density", job, only, sources.get(1), Q, 0), 0);
    assertEquals(-1, only.length());
  }

  @Test
  void aListedBaseStaysWhereItIs() {
    JobSpec job = Configs.load("merge_method: linear\nbase_model: base\nmodels:\n"
        + "  - model: base\n  - model: a\nparameters:\n  weight: 1\n");
    assertFalse(job.baseAutoAppended());
    assertEquals(List.of("base", "a"),
        job.slices().get(0).sources().stream().map(s -> s.model().path()).toList());
  }

  @Test
  void choicesResolveLikeNumbers() {
    JobSpec job = Configs.load("merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n"
        + "parameters:\n  weight: 1\n  consensus:\n    - filter: mlp\n      value: count\n"
        + "    - value: sum\n");
    SliceSpec s = job.slices().get(0);
    assertEquals("count", ParameterResolver.choice("consensus", job, s, GATE));
    assertEquals("sum", ParameterResolver.choice("consensus", job, s, Q));
    assertEquals("sum", ParameterResolver.choice("consensus", job, s, s.sources().get(0), Q));
  }
}
