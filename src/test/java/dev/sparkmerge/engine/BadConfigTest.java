package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.TinyModel;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of bad configs and bad inputs run through {@code sparkmerge run CONFIG OUTPUT}: each
 * exits 1 with its own message (file:line:column and key path for config mistakes, the model and
 * tensor for input problems), and OUTPUT is never created. Config errors come before Spark starts.
 *
 * <p>In the YAML and the expected fragments, {@code {A}}, {@code {B}} and {@code {BASE}} are
 * tiny models, {@code {F}} the config file as given on the command line, and the other
 * {@code {...}} names the broken inputs made in {@link #models()}.
 */
class BadConfigTest {
  @TempDir static Path tmp;
  private static Map<String, String> vars;
  private static long truncatedLength;

  @BeforeAll
  static void models() throws IOException {
    Path a = TinyModel.write(tmp.resolve("a"), "a", DType.BF16);
    Path b = TinyModel.write(tmp.resolve("b"), "b", DType.BF16);
    Path base = TinyModel.write(tmp.resolve("base"), "base", DType.BF16);
    CheckpointFs fs = CheckpointFs.withDefaults();

    // A safetensors file whose data section is cut short by 10 bytes.
    Path trunc = TinyModel.write(tmp.resolve("truncated"), "t", DType.BF16);
    Path file = trunc.resolve("model.safetensors");
    truncatedLength = Files.size(file);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(truncatedLength - 10);
    }

    // A sharded model whose index names a shard that is not there.
    Path lost = tmp.resolve("lost-shard");
    MethodsEndToEndTest.writeSalted(fs, MethodsEndToEndTest.local(lost), "l",
        MethodsEndToEndTest.llama(DType.BF16, TinyModel.LAYERS, TinyModel.HIDDEN,
            TinyModel.VOCAB), 2, TinyModel.LAYERS);
    Files.delete(lost.resolve("model-00002-of-00002.safetensors"));

    // The tiny model's names with one non-embedding tensor of another shape.
    List<TensorSpec> specs = new ArrayList<>();
    for (TensorSpec s : MethodsEndToEndTest.llama(DType.BF16, TinyModel.LAYERS,
        TinyModel.HIDDEN, TinyModel.VOCAB)) {
      specs.add(s.name().equals("model.layers.1.mlp.down_proj.weight")
          ? new TensorSpec(s.name(), DType.BF16, new long[] {TinyModel.HIDDEN, 12}) : s);
    }
    Path shape = tmp.resolve("other-shape");
    MethodsEndToEndTest.writeSalted(fs, MethodsEndToEndTest.local(shape), "o", specs, 1,
        TinyModel.LAYERS);

    vars = Map.of("{A}", a.toString(), "{B}", b.toString(), "{BASE}", base.toString(),
        "{TRUNC}", trunc.toString(), "{LOST}", lost.toString(), "{SHAPE}", shape.toString(),
        "{NOPE}", tmp.resolve("no-such-model").toString());
  }

  private static String fill(String text, Path cfg) {
    String s = text.replace("{F}", cfg.toString());
    for (Map.Entry<String, String> e : vars.entrySet()) {
      s = s.replace(e.getKey(), e.getValue());
    }
    return s.replace("{TRUNC_LEN}", Long.toString(truncatedLength))
        .replace("{TRUNC_SHORT}", Long.toString(truncatedLength - 10));
  }

  private static Arguments c(String name, String yaml, String... fragments) {
    return Arguments.of(name, yaml, fragments);
  }

  private static final String LINEAR_A = "merge_method: linear\nmodels:\n  - model: {A}\n"
      + "    parameters: {weight: 1}\n";

  static Stream<Arguments> cases() {
    return Stream.of(
        c("misspelled-method", "merge_method: tiess\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1}\n",
            "{F}:1:15: merge_method: unknown merge method 'tiess'. Did you mean 'ties'?"),
        c("misspelled-parameter", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {A}\n    parameters:\n      weight: 1\n      densty: 0.5\n",
            "{F}:7:7: models[0].parameters.densty: merge method 'ties' has no parameter 'densty'."
                + " Did you mean 'density'?"),
        c("unknown-top-level-key", "merge_method: linear\nmodles: []\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1}\n",
            "{F}:2:1: modles: unknown key 'modles'. Did you mean 'models'?"),
        c("parameter-the-method-does-not-take", "merge_method: linear\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1, density: 0.5}\n",
            "{F}:4:29: models[0].parameters.density: merge method 'linear' has no parameter"
                + " 'density'. Its parameters: weight, normalize."),
        c("global-parameter-under-a-model", "merge_method: slerp\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {BASE}\n  - model: {A}\n    parameters: {t: 0.5}\n",
            "{F}:6:18: models[1].parameters.t: 't' is a global parameter of slerp",
            "Move it to the top-level 'parameters:'.",
            "parameters.t: missing required parameter 't' of slerp"),
        c("density-negative", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1, density: -0.1}\n",
            "{F}:5:38: models[0].parameters.density: 'density' = -0.1 is out of range for ties:"
                + " allowed "),
        c("missing-required-weight", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "  - model: {B}\n",
            "{F}: parameters.weight: missing required parameter 'weight' of linear for every"
                + " model"),
        c("missing-weight-for-one-model", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "    parameters: {weight: 1}\n  - model: {B}\n",
            "{F}:5:5: models[1]: missing required parameter 'weight' of linear for '{B}'"),
        c("parameter-beside-model", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "    weight: 1\n",
            "{F}:4:5: models[0].weight: 'weight' is a merge parameter, not a key of this entry;"
                + " move it under this entry's 'parameters:'"),
        c("missing-base-model-for-ties", "merge_method: ties\nmodels:\n  - model: {A}\n"
            + "    parameters: {weight: 1, density: 0.5}\n",
            "{F}: base_model: merge method 'ties' needs a base model; add 'base_model: <path>'"
                + " at the top level."),
        c("both-models-and-slices", LINEAR_A + "slices:\n  - sources:\n      - model: {A}\n"
            + "        layer_range: [0, 1]\n",
            "{F}:5:1: the config needs exactly one of 'models' or 'slices'; remove all but one."),
        c("neither-models-nor-slices", "merge_method: linear\nparameters: {weight: 1}\n",
            "{F}:1:1: the config needs exactly one of 'models' (merge whole models) or 'slices'"
                + " (merge layer ranges); neither is present."),
        c("empty-layer-range", "merge_method: passthrough\nslices:\n  - sources:\n"
            + "      - model: {A}\n        layer_range: [2, 1]\n",
            "{F}:5:22: slices[0].sources[0].layer_range: [2, 1] is empty: the end is exclusive"),
        c("fractional-layer-range", "merge_method: passthrough\nslices:\n  - sources:\n"
            + "      - model: {A}\n        layer_range: [0, 1.5]\n",
            "{F}:5:26: slices[0].sources[0].layer_range[1]: a layer number is a whole number"
                + " >= 0, not '1.5'."),
        c("layer-range-past-the-model", "merge_method: passthrough\nslices:\n  - sources:\n"
            + "      - model: {A}\n        layer_range: [1, 5]\n",
            "slice 0, source {A}: layer_range ends at 5 but the model has 3 layers."),
        c("slices-of-different-lengths", "merge_method: linear\nslices:\n  - sources:\n"
            + "      - model: {A}\n        layer_range: [0, 2]\n"
            + "      - model: {B}\n        layer_range: [0, 3]\n"
            + "parameters: {weight: 1}\n",
            "{F}:4:7: slices[0].sources: all sources of a slice must have the same number of"
                + " layers; found {A} [0, 2) = 2, {B} [0, 3) = 3."),
        c("base-not-among-slice-sources", "merge_method: ties\nbase_model: {BASE}\nslices:\n"
            + "  - sources:\n      - model: {A}\n        layer_range: [0, 3]\n"
            + "parameters: {weight: 1, density: 0.5}\n",
            "{F}:4:5: slices[0].sources: the base model '{BASE}' is not one of this slice's"
                + " sources"),
        c("bad-dtype", LINEAR_A + "dtype: bf16\n",
            "{F}:5:8: dtype: unknown dtype 'bf16'. Did you mean 'bfloat16'?"),
        c("float64-out-dtype", LINEAR_A + "out_dtype: float64\n",
            "{F}:5:12: out_dtype: 'float64' is not supported"),
        c("tokenizer-union", LINEAR_A + "tokenizer_source: union\n",
            "{F}:5:19: tokenizer_source: 'union' is not supported yet"),
        c("modules-syntax", "merge_method: linear\nmodules:\n  text:\n    models:\n"
            + "      - model: {A}\n",
            "{F}:2:1: modules: not supported yet"),
        c("yaml-syntax-error", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "    parameters: {weight: 1\n",
            "{F}:5:1: YAML syntax error: expected ',' or '}'"),
        c("non-numeric-value", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "    parameters: {weight: heavy}\n",
            "{F}:4:26: models[0].parameters.weight: 'heavy' is not a number"),
        c("flag-not-boolean", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1}\nparameters: {normalize: 2}\n",
            "{F}:6:25: parameters.normalize: 'normalize' takes true or false, not 2."),
        c("required-only-under-filters", "merge_method: slerp\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {BASE}\n  - model: {A}\n"
            + "parameters:\n  t:\n    - filter: self_attn\n      value: 0.5\n",
            "{F}:7:3: parameters.t: 't' is required by slerp but set only with filters"
                + " (self_attn)"),
        c("misspelled-filter-key", "merge_method: linear\nmodels:\n  - model: {A}\n"
            + "    parameters:\n      weight:\n        - filtr: mlp\n          value: 1\n"
            + "        - value: 1\n",
            "{F}:6:11: models[0].parameters.weight[0].filtr: unknown key 'filtr'. Did you mean"
                + " 'filter'?"),
        c("same-model-twice", LINEAR_A + "  - model: {A}\n    parameters: {weight: 1}\n",
            "{F}:5:12: models[1].model: '{A}' is already models[0]; list each model once."),
        c("duplicate-key", LINEAR_A + "dtype: float32\ndtype: float16\n",
            "{F}:6:1: dtype: duplicate key (first at line 5)"),
        c("hub-revision", "merge_method: linear\nmodels:\n  - model: org/name@main\n"
            + "    parameters: {weight: 1}\n",
            "{F}:3:12: models[0].model: 'org/name@main' names a revision on the Hugging Face hub",
            "huggingface-cli download org/name --revision main"),
        c("several-errors-at-once", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
            + "  - model: {A}\n    parameters: {weight: 1, densty: 0.5}\n"
            + "  - model: {B}\n    weight: 1\nparameters: {t: 0.3}\ndtype: fp16\n",
            "{F}:5:29: models[0].parameters.densty: merge method 'ties' has no parameter"
                + " 'densty'. Did you mean 'density'?",
            "{F}:6:5: models[1]: missing required parameter 'weight' of ties for '{B}'",
            "{F}:7:5: models[1].weight: 'weight' is a merge parameter",
            "{F}:8:14: parameters.t: merge method 'ties' has no parameter 't'.",
            "{F}:9:8: dtype: unknown dtype 'fp16'. Did you mean 'float16'?"),
        // Input problems, found by the planner from headers and small files.
        c("nonexistent-model-path", "merge_method: linear\nmodels:\n  - model: {NOPE}\n"
            + "    parameters: {weight: 1}\n",
            "model '{NOPE}': {NOPE}: no such file or directory."),
        c("truncated-safetensors", LINEAR_A + "  - model: {TRUNC}\n    parameters: {weight: 1}\n",
            "model '{TRUNC}': ", "model.safetensors: the tensors need {TRUNC_LEN} bytes but the"
                + " file has {TRUNC_SHORT} (truncated: 10 bytes missing)."),
        c("index-names-a-missing-shard", LINEAR_A + "  - model: {LOST}\n"
            + "    parameters: {weight: 1}\n",
            "model '{LOST}': ", "model.safetensors.index.json: the index names shard file(s)"
                + " [model-00002-of-00002.safetensors] that are not in the directory."),
        c("mismatched-shape-under-linear", LINEAR_A + "  - model: {SHAPE}\n"
            + "    parameters: {weight: 1}\n",
            "tensor model.layers.1.mlp.down_proj.weight: input shapes differ: [8, 16] [8, 12]."
                + " This merge method needs equal shapes (only embeddings are cropped)."),
        c("model-plus-non-adapter", "merge_method: linear\nmodels:\n  - model: {A}+{B}\n"
            + "    parameters: {weight: 1}\n",
            "model '{A}+{B}': file:{B}: no adapter_config.json; a PEFT adapter directory needs it"),
        c("passthrough-with-two-models", "merge_method: passthrough\nmodels:\n"
            + "  - model: {A}\n  - model: {B}\n",
            "merge method 'passthrough' expects exactly one input tensor, but tensor"
                + " model.embed_tokens.weight has 2 model(s)."));
  }

  private static Path runBad(String name, String yaml, String... fragments) throws IOException {
    Path cfg = tmp.resolve(name + ".yml");
    Files.writeString(cfg, fill(yaml, cfg));
    Path out = tmp.resolve("out-" + name);
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", cfg.toString(), out.toString());
    assertEquals(1, run.code(), "exit code; stderr: " + run.err() + " stdout: " + run.out());
    assertTrue(run.err().startsWith("error: "), run.err());
    assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    for (String f : fragments) {
      String want = fill(f, cfg);
      assertTrue(run.err().contains(want), "expected\n  " + want + "\nin\n" + run.err());
    }
    assertFalse(Files.exists(out), "OUTPUT must not be created: " + out);
    return cfg;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badConfigExitsOneWithItsMessageAndWritesNothing(String name, String yaml,
      String[] fragments) throws IOException {
    runBad(name, yaml, fragments);
  }

  @Test
  void tableCoversAtLeastTwentyMistakes() {
    assertTrue(cases().count() >= 20);
  }

  /**
   * docs/config.md and issue 4: "out-of-range values (density ∉ (0, 1], negative t where the
   * method forbids it, DELLA's epsilon bounds) are errors that quote the key and its location",
   * reported by the config loader before any model is read.
   */
  @Test
  void outOfRangeValuesAreConfigErrorsWithTheirLocation() throws IOException {
    runBad("density-above-one", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
        + "  - model: {A}\n    parameters: {weight: 1, density: 1.5}\n",
        "{F}:5:38: models[0].parameters.density: 'density' = 1.5 is out of range for ties:"
            + " allowed (0, 1].");
    runBad("density-zero", "merge_method: ties\nbase_model: {BASE}\nmodels:\n"
        + "  - model: {A}\n    parameters: {weight: 1, density: 0}\n",
        "{F}:5:38: models[0].parameters.density: 'density' = 0 is out of range for ties:"
            + " allowed (0, 1].");
    runBad("slerp-t-above-one", "merge_method: slerp\nbase_model: {BASE}\nmodels:\n"
        + "  - model: {BASE}\n  - model: {A}\nparameters: {t: [0, 1.5]}\n",
        "{F}:6:", "parameters.t[1]: 't' = 1.5 is out of range for slerp: allowed [0, 1]");
    runBad("della-epsilon", "merge_method: della\nbase_model: {BASE}\nmodels:\n"
        + "  - model: {A}\n    parameters: {weight: 1, density: 0.9, epsilon: 0.2}\n",
        "{F}:4:5: models[0]: ", "density 0.9 and epsilon 0.2");
  }
}
