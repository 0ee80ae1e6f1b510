package dev.sparkmerge.config;

import static dev.sparkmerge.config.Configs.load;
import static dev.sparkmerge.config.Configs.problem;
import static dev.sparkmerge.config.Configs.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every validation rule: the message names the file, line, column and key path, and the fix. */
class ConfigValidationTest {
  private static final String TIES_HEAD = "merge_method: ties\nbase_model: base\n";

  private static void assertContains(String text, String... parts) {
    for (String p : parts) {
      assertTrue(text.contains(p), () -> "expected '" + p + "' in:\n" + text);
    }
  }

  private static String lines(String... l) {
    return String.join("\n", l) + "\n";
  }

  // ---- keys -----------------------------------------------------------------------------------

  @Test
  void unknownTopLevelKeySuggestsTheClosest() {
    String p = problem(lines("merge_method: linear", "modles:", "  - model: a",
        "models:", "  - model: a", "parameters: {weight: 1}"));
    assertContains(p, "test.yml:2:1: modles: unknown key 'modles'. Did you mean 'models'?");
  }

  @Test
  void unknownKeysInsideEntries() {
    List<String> p = problems(lines(
        "merge_method: ties",
        "base_model: base",
        "slices:",
        "  - sources:",
        "      - model: a",
        "        layer_rang: [0, 2]",
        "        layer_range: [0, 2]",
        "      - model: base",
        "        layer_range: [0, 2]",
        "    paramters: {weight: 1}",
        "parameters: {weight: 1}"));
    assertEquals(2, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:6:9: slices[0].sources[0].layer_rang: unknown key",
        "Did you mean 'layer_range'?");
    assertContains(p.get(1), "test.yml:10:5: slices[0].paramters:", "Did you mean 'parameters'?");
  }

  @Test
  void parameterWrittenWhereAKeyBelongs() {
    String p = problem(lines("merge_method: linear", "models:", "  - model: a",
        "    weight: 0.5", "    parameters: {weight: 1}"));
    assertContains(p, "test.yml:4:5: models[0].weight: 'weight' is a merge parameter",
        "under this entry's 'parameters:'");
    String top = problem(lines("merge_method: linear", "normalize: true", "models:",
        "  - model: a", "parameters: {weight: 1}"));
    assertContains(top, "test.yml:2:1: normalize:", "under the top-level 'parameters:'");
  }

  @Test
  void duplicateKeys() {
    String p = problem(lines("merge_method: linear", "models:", "  - model: a",
        "parameters:", "  weight: 1", "  weight: 2"));
    assertContains(p, "test.yml:6:3: parameters.weight: duplicate parameter (first at line 5)");
  }

  @Test
  void anchorsWorkButMergeKeysAreRejected() {
    JobSpec job = load(lines("merge_method: linear", "models:", "  - model: a",
        "    parameters: &p {weight: 0.5}", "  - model: b", "    parameters: *p"));
    assertEquals(0.5, job.slices().get(0).sources().get(1).parameters().get("weight")
        .evaluate("x", 0), 0);
    assertContains(String.join("\n", problems(lines("merge_method: linear",
        "defaults: &d {model: a}", "models:", "  - <<: *d", "    parameters: {weight: 1}"))),
        "test.yml:2:1: defaults: unknown key", "test.yml:4:5: models[0].<<: YAML merge keys");
    assertContains(String.join("\n", problems(lines("merge_method: linear", "models:",
        "  - model: a", "    parameters: {weight: 1}", "  - <<: {model: b}",
        "    parameters: {weight: 1}"))), "test.yml:5:5: models[1].<<: YAML merge keys");
  }

  // ---- method and parameters ------------------------------------------------------------------

  @Test
  void misspelledMethod() {
    String p = problem(lines("merge_method: dare-ties", "base_model: b", "models:",
        "  - model: a", "parameters: {weight: 1}"));
    assertContains(p, "test.yml:1:15: merge_method: unknown merge method 'dare-ties'.",
        "Did you mean 'dare_ties'?", "Valid methods: linear, slerp");
    assertContains(problem(lines("merge_method: slrep", "base_model: b", "models:",
        "  - model: a", "parameters: {t: 0.5}")), "Did you mean 'slerp'?");
  }

  @Test
  void missingMethod() {
    assertContains(problem(lines("models:", "  - model: a")),
        "merge_method: missing; add e.g. 'merge_method: linear'");
  }

  @Test
  void parameterTheMethodDoesNotTake() {
    String p = problem(lines(TIES_HEAD + "models:",
        "  - model: a", "    parameters: {weight: 1, density: 0.5}",
        "  - model: c", "    parameters:", "      weight: 1", "      densty: 0.5"));
    assertContains(p, "test.yml:9:7: models[1].parameters.densty: merge method 'ties' has no "
        + "parameter 'densty'. Did you mean 'density'?", "Its parameters: weight, density");
    assertContains(problem(lines("merge_method: model_stock", "base_model: b", "models:",
        "  - model: a", "  - model: c", "parameters: {filterwise: true}")),
        "parameters.filterwise", "Did you mean 'filter_wise'?");
  }

  @Test
  void globalParameterUnderAModel() {
    List<String> p = problems(lines("merge_method: slerp", "base_model: a", "models:",
        "  - model: a", "  - model: b", "    parameters:", "      t: 0.5"));
    assertEquals(2, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:7:7: models[1].parameters.t: 't' is a global parameter "
        + "of slerp", "Move it to the top-level 'parameters:'");
    assertContains(p.get(1), "parameters.t: missing required parameter 't' of slerp");
  }

  @Test
  void globalParameterUnderASliceSource() {
    List<String> p = problems(lines("merge_method: slerp", "base_model: a", "slices:",
        "  - sources:", "      - {model: a, layer_range: [0, 2]}",
        "      - {model: b, layer_range: [0, 2], parameters: {t: 0.3}}",
        "    parameters: {t: 0.5}"));
    assertEquals(1, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:6:54: slices[0].sources[1].parameters.t: 't' is a global "
        + "parameter of slerp", "Move it to this slice's 'parameters:' or the top-level");
  }

  @Test
  void outOfRangeValuesEverywhere() {
    List<String> p = problems(lines(TIES_HEAD + "parameters:",
        "  weight: 1",
        "  density:",
        "    - filter: mlp",
        "      value: [0.5, 1.5]",
        "    - value: 0",
        "models:",
        "  - model: a",
        "    parameters: {density: -0.1}"));
    assertEquals(3, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:7:20: parameters.density[0].value[1]: 'density' = 1.5 is "
        + "out of range for ties: allowed (0, 1]");
    assertContains(p.get(1), "test.yml:8:14: parameters.density[1].value: 'density' = 0 is out");
    assertContains(p.get(2), "models[0].parameters.density: 'density' = -0.1");
    assertContains(problem(lines("merge_method: slerp", "base_model: a", "models:",
        "  - model: a", "  - model: b", "parameters:", "  t: [0, -0.5, 1]")),
        "parameters.t[1]: 't' = -0.5 is out of range for slerp: allowed [0, 1]");
    assertContains(problem(lines("merge_method: della", "base_model: a", "models:",
        "  - model: b", "parameters: {weight: 1, epsilon: 0.5}")), "allowed [0, 0.5)");
  }

  @Test
  void constraintsOverSeveralParameters() {
    String head = lines("merge_method: della", "base_model: base", "models:", "  - model: a",
        "  - model: b");
    // density 0.9 with the default epsilon 0.15: 0.9 + 0.15 >= 1.
    List<String> p = problems(head + lines("parameters:", "  weight: 1", "  density: 0.9"));
    assertEquals(2, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:4:5: models[0]: for tensors matching no filter at layer "
        + "position t = 0: density 0.9 and epsilon 0.15 put keep probabilities outside (0, 1)");
    // Only the mlp tensors, and only from the middle of the gradient on, break the bound.
    List<String> mid = problems(head + lines("parameters:", "  weight: 1", "  density:",
        "    - filter: mlp", "      value: [0.5, 0.5, 0.9]", "    - value: 0.5"));
    assertEquals(2, mid.size(), String.join("\n", mid));
    assertContains(mid.get(0), "models[0]: for tensors matching 'mlp' at layer position t = 1:");
    assertContains(mid.get(1), "models[1]: for tensors matching 'mlp' at layer position t = 1:");
    load(head + lines("parameters:", "  weight: 1", "  density: 0.9", "  epsilon: 0.05"));
    // A bad value is reported once, not again by the constraint.
    assertContains(String.join("\n", problems(head + lines("parameters:", "  weight: 1",
        "  density: high"))), "test.yml:8:12: parameters.density: 'high' is not a number");
    assertEquals(1, problems(head + lines("parameters:", "  weight: 1", "  density: high"))
        .size());
    load(head + lines("parameters:", "  weight: 1", "  density: 1"));
  }

  @Test
  void wrongKindsOfValue() {
    List<String> p = problems(lines(TIES_HEAD + "models:", "  - model: a", "parameters:",
        "  weight: heavy", "  normalize: 0.5", "  int8_mask: [0, 1]", "  consensus: cont",
        "  lambda: [1, x]"));
    assertEquals(5, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:6:11: parameters.weight: 'heavy' is not a number");
    assertContains(p.get(1), "parameters.normalize: 'normalize' takes true or false, not 0.5");
    assertContains(p.get(2), "parameters.int8_mask: 'int8_mask' takes true or false and cannot "
        + "vary across layers");
    assertContains(p.get(3), "parameters.consensus: 'cont' is not a valid 'consensus'. Did you "
        + "mean 'count'?");
    assertContains(p.get(4), "test.yml:10:15: parameters.lambda[1]: a gradient is a list of "
        + "numbers");
    assertContains(problem(lines("merge_method: karcher", "models:", "  - model: a",
        "parameters: {max_iter: 2.5}")), "'max_iter' takes a whole number, not 2.5");
  }

  @Test
  void malformedParameterShapes() {
    List<String> p = problems(lines("merge_method: linear", "models:", "  - model: a",
        "parameters:", "  weight:", "    - filter: mlp", "    - value: 1", "      filtr: x",
        "  normalize:"));
    assertEquals(3, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:6:7: parameters.weight[0]: this entry has no 'value'");
    assertContains(p.get(1), "parameters.weight[1].filtr: unknown key", "Did you mean 'filter'?");
    assertContains(p.get(2), "parameters.normalize: no value given");
  }

  @Test
  void requiredPerModelParameters() {
    assertContains(problem(lines("merge_method: linear", "models:", "  - model: a",
        "  - model: b")), "parameters.weight: missing required parameter 'weight' of linear "
        + "for every model");
    String one = problem(lines(TIES_HEAD + "models:", "  - model: a",
        "    parameters: {weight: 1}", "  - model: b"));
    assertContains(one, "test.yml:6:5: models[1]: missing required parameter 'weight' of ties "
        + "for 'b'");
    String filtered = problem(lines(TIES_HEAD + "models:", "  - model: a",
        "    parameters:", "      weight: {filter: mlp, value: 1}"));
    assertContains(filtered, "models[0]: 'weight' is required by ties but set only with filters");
    // The base never needs per-model values, listed or auto-appended.
    load(lines(TIES_HEAD + "models:", "  - model: base", "  - model: a",
        "    parameters: {weight: 1}"));
  }

  @Test
  void requiredGlobalParameters() {
    String base = lines("merge_method: slerp", "base_model: a", "models:", "  - model: a",
        "  - model: b");
    assertContains(problem(base), "test.yml: parameters.t: missing required parameter 't' of "
        + "slerp; add 't: <value>' under the top-level 'parameters:'");
    assertContains(problem(base + lines("parameters:", "  t:", "    - filter: self_attn",
        "      value: 0.3")), "set only with filters (self_attn)", "'- value: 0.5'");
    load(base + lines("parameters:", "  t:", "    - filter: self_attn", "      value: 0.3",
        "    - value: 0.5"));
  }

  @Test
  void requiredGlobalPerSlice() {
    String p = problem(lines("merge_method: slerp", "base_model: a", "slices:",
        "  - sources:", "      - {model: a, layer_range: [0, 2]}",
        "      - {model: b, layer_range: [0, 2]}", "    parameters: {t: 0.2}",
        "  - sources:", "      - {model: a, layer_range: [2, 4]}",
        "      - {model: b, layer_range: [2, 4]}"));
    assertContains(p, "test.yml:8:5: slices[1]: missing required parameter 't' of slerp for "
        + "this slice");
  }

  // ---- base model -----------------------------------------------------------------------------

  @Test
  void baseModelRequired() {
    assertContains(problem(lines("merge_method: ties", "models:", "  - model: a",
        "parameters: {weight: 1}")), "base_model: merge method 'ties' needs a base model");
  }

  @Test
  void baseMustBeASliceSource() {
    String p = problem(lines("merge_method: ties", "base_model: base", "parameters: {weight: 1}",
        "slices:", "  - sources:", "      - {model: a, layer_range: [0, 2]}",
        "      - {model: b, layer_range: [0, 2]}"));
    assertContains(p, "test.yml:5:5: slices[0].sources: the base model 'base' is not one of "
        + "this slice's sources");
  }

  // ---- structure ------------------------------------------------------------------------------

  @Test
  void exactlyOneOfModelsAndSlices() {
    assertContains(problem(lines("merge_method: linear", "parameters: {weight: 1}")),
        "exactly one of 'models'", "neither is present");
    assertContains(problem(lines("merge_method: passthrough", "models:", "  - model: a",
        "slices:", "  - sources:", "      - {model: a, layer_range: [0, 1]}")),
        "test.yml:4:1: the config needs exactly one of 'models' or 'slices'");
    assertContains(problem(lines("merge_method: passthrough", "modules:", "  text:",
        "    models: [{model: a}]")), "test.yml:2:1: modules: not supported yet");
  }

  @Test
  void badLayerRanges() {
    String head = lines("merge_method: passthrough", "slices:", "  - sources:");
    assertContains(problem(head + lines("      - {model: a, layer_range: [4, 2]}")),
        "slices[0].sources[0].layer_range: [4, 2] is empty");
    assertContains(problem(head + lines("      - {model: a, layer_range: [4]}")),
        "layer_range: expected two layer numbers");
    assertContains(problem(head + lines("      - {model: a, layer_range: [-1, 2]}")),
        "layer_range[0]: a layer number is a whole number >= 0, not '-1'");
    assertContains(problem(head + lines("      - {model: a, layer_range: [0, 2.5]}")),
        "layer_range[1]");
    assertContains(problem(head + lines("      - model: a")),
        "test.yml:4:9: slices[0].sources[0]: missing 'layer_range: [start, end]'");
  }

  @Test
  void sliceSourcesWithDifferentLengths() {
    String p = problem(lines("merge_method: linear", "parameters: {weight: 1}", "slices:",
        "  - sources:", "      - {model: a, layer_range: [0, 8]}",
        "      - {model: b, layer_range: [2, 8]}"));
    assertContains(p, "test.yml:5:7: slices[0].sources: all sources of a slice must have the "
        + "same number of layers", "a [0, 8) = 8, b [2, 8) = 6");
  }

  @Test
  void duplicateModels() {
    assertContains(problem(lines("merge_method: linear", "models:", "  - model: a",
        "  - model: a", "parameters: {weight: 1}")), "models[1].model: 'a' is already models[0]");
  }

  @Test
  void residualWeightHasNoEffect() {
    assertContains(problem(lines("merge_method: passthrough", "slices:",
        "  - sources: [{model: a, layer_range: [0, 1]}]", "    residual_weight: 0.5")),
        "slices[0].residual_weight: mergekit parses this key but never uses it");
  }

  // ---- model references -----------------------------------------------------------------------

  @Test
  void modelReferences() {
    JobSpec job = load(lines("merge_method: linear", "models:",
        "  - model: models/llama+adapters/chat", "  - model: hdfs://user@nn:8020/models/b",
        "  - model: {model: {path: c}, lora: {path: d}}", "parameters: {weight: 1}"));
    List<SourceSpec> s = job.slices().get(0).sources();
    assertEquals("models/llama", s.get(0).model().path());
    assertEquals("adapters/chat", s.get(0).model().lora());
    assertEquals("models/llama+adapters/chat", s.get(0).model().display());
    assertEquals("hdfs://user@nn:8020/models/b", s.get(1).model().path());
    assertEquals(null, s.get(1).model().lora());
    assertEquals(ModelRef.of("c", "d"), s.get(2).model());
    assertEquals("c+d", s.get(2).model().display());
  }

  @Test
  void badModelReferences() {
    List<String> p = problems(lines("merge_method: linear", "models:",
        "  - model: a+b+c", "  - model: meta-llama/Llama-3-8B@main",
        "  - model: {model: {path: x, revision: v2}}", "  - model:",
        "parameters: {weight: 1}"));
    assertEquals(4, p.size(), String.join("\n", p));
    assertContains(p.get(0), "test.yml:3:12: models[0].model: 'a+b+c' has more than one '+'");
    assertContains(p.get(1), "models[1].model: 'meta-llama/Llama-3-8B@main' names a revision on "
        + "the Hugging Face hub", "local or Hadoop path");
    assertContains(p.get(2), "models[2].model.model.revision:", "'x@v2' names a revision");
    assertContains(p.get(3), "models[3].model: a model path is needed here");
  }

  // ---- other top-level keys -------------------------------------------------------------------

  @Test
  void dtypes() {
    String models = lines("merge_method: linear", "models:", "  - model: a",
        "parameters: {weight: 1}");
    JobSpec job = load(models + lines("dtype: torch.bfloat16", "out_dtype: float16"));
    assertEquals("bfloat16", job.dtype());
    assertEquals("float16", job.outDtype());
    assertEquals(null, load(models).dtype());
    List<String> p = problems(models + lines("dtype: bf16", "out_dtype: fp16"));
    assertContains(p.get(0), "test.yml:5:8: dtype: unknown dtype 'bf16'. Did you mean "
        + "'bfloat16'?");
    assertContains(p.get(1), "out_dtype: unknown dtype 'fp16'. Did you mean 'float16'?");
    assertContains(problem(models + "dtype: int64\n"), "int64 is not a merge dtype");
    assertContains(problem(models + "dtype: float64\n"), "use float32");
    assertContains(problem(models + "dtype: flaot32\n"), "Did you mean 'float32'?");
  }

  @Test
  void tokenizer() {
    String models = lines("merge_method: linear", "models:", "  - model: a",
        "parameters: {weight: 1}");
    assertEquals("base", load(models + "tokenizer_source: base\n").tokenizerSource());
    assertEquals("a", load(models + "tokenizer_source: a\n").tokenizerSource());
    assertEquals("a", load(models + "tokenizer: {source: a}\n").tokenizerSource());
    assertEquals(null, load(models).tokenizerSource());
    assertContains(problem(models + "tokenizer_source: union\n"),
        "test.yml:5:19: tokenizer_source: 'union' is not supported yet");
    assertContains(problem(models + "tokenizer_source: base\ntokenizer: {source: base}\n"),
        "tokenizer: cannot be combined with 'tokenizer_source'");
    assertContains(problem(models + "tokenizer: {pad_to_multiple_of: 64, source: base}\n"),
        "tokenizer.pad_to_multiple_of: not supported yet");
    assertContains(String.join("\n", problems(models + "tokenizer: {tokens: {}}\n")),
        "tokenizer.tokens: not supported yet");
    assertContains(String.join("\n", problems(models + "tokenizer: {}\n")),
        "mergekit's default is 'union'");
    assertContains(problem(models + "chat_template: chatml\n"),
        "chat_template: not supported yet");
  }

  @Test
  void seed() {
    String models = lines("merge_method: linear", "models:", "  - model: a",
        "parameters: {weight: 1}");
    assertEquals(42L, load(models).seed());
    assertEquals(1234L, load(models + "seed: 1234\n").seed());
    assertEquals(9_007_199_254_740_993L, load(models + "seed: 9007199254740993\n").seed());
    assertContains(problem(models + "seed: 1.5\n"), "seed: expected a whole number");
    assertContains(problem(models + "seed: lucky\n"), "seed: expected a whole number");
  }

  // ---- the file as a whole --------------------------------------------------------------------

  @Test
  void yamlSyntaxErrorsHaveAPosition() {
    String p = problem(lines("merge_method: linear", "models:", "  - model: a",
        "   parameters: {weight: 1"));
    assertTrue(p.matches("(?s)test\\.yml:\\d+:\\d+: YAML syntax error: .*"), p);
    String tab = problem("merge_method: linear\nmodels:\n\t- model: a\n");
    assertTrue(tab.startsWith("test.yml:3:1: YAML syntax error"), tab);
  }

  @Test
  void emptyAndNonMappingConfigs() {
    assertContains(problem("# nothing\n"), "test.yml: the config is empty");
    assertContains(problem("- merge_method: linear\n"), "test.yml:1:1: a merge config is a "
        + "mapping");
    assertContains(problem(lines("merge_method: linear", "models:", "  - a",
        "parameters: {weight: 1}")), "models[0]: expected '- model: <path>'");
    assertContains(problem(lines("merge_method: linear", "models: []")),
        "models: the list is empty");
  }

  @Test
  void manyProblemsReportedTogether() {
    ConfigException e = assertThrows(ConfigException.class, () -> load(lines(
        "merge_method: ties",
        "modles: x",
        "models:",
        "  - model: a",
        "    parameters: {weight: 1, densty: 0.5}",
        "  - model: b@dev",
        "    weight: 1",
        "parameters:",
        "  density: 0",
        "dtype: fp16",
        "tokenizer_source: union")));
    List<String> p = e.problems();
    assertEquals(8, p.size(), e.getMessage());
    assertEquals(String.join("\n", p), e.getMessage());
    // In file order, problems without a position last.
    assertContains(p.get(0), "test.yml:2:1: modles");
    assertContains(p.get(1), "test.yml:5:29: models[0].parameters.densty");
    assertContains(p.get(2), "test.yml:6:12: models[1].model");
    assertContains(p.get(3), "test.yml:7:5: models[1].weight");
    assertContains(p.get(4), "test.yml:9:12: parameters.density");
    assertContains(p.get(5), "test.yml:10:8: dtype");
    assertContains(p.get(6), "test.yml:11:19: tokenizer_source");
    assertContains(p.get(7), "test.yml: base_model: merge method 'ties' needs a base");
  }

  @Test
  void loadAllReadsEveryDocument() {
    String two = lines("merge_method: linear", "models: [{model: a}, {model: b}]",
        "parameters: {weight: 1}", "---", "merge_method: slerp", "base_model: a",
        "models: [{model: a}, {model: b}]", "parameters: {t: 0.5}", "---");
    List<JobSpec> jobs = ConfigLoader.loadAll(two, "grid.yml", FakeCatalog.INSTANCE);
    assertEquals(2, jobs.size());
    assertEquals("slerp", jobs.get(1).mergeMethod());
    assertTrue(jobs.get(1).sourceText().startsWith("merge_method: slerp"));
    assertTrue(!jobs.get(0).sourceText().contains("slerp"));
    assertContains(String.join("\n", problems(two)), "expected one config but the file holds 2");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.loadAll(
        two.replace("t: 0.5", "t: 5"), "grid.yml", FakeCatalog.INSTANCE));
    assertContains(e.getMessage(), "grid.yml:8:17: [document 2] parameters.t: 't' = 5");
  }
}
