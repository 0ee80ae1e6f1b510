package dev.sparkmerge.config;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A validated merge config, normalised as mergekit does (reference/mergekit.md §2.1): the
 * {@code models:} form becomes one slice whose sources are the models in config order, with the
 * base model appended last when it is not listed. Built only by {@link ConfigLoader}.
 */
public final class JobSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Seed for the random methods (DARE, DELLA) when the config has no {@code seed}. */
  public static final long DEFAULT_SEED = 42L;

  private final String name;
  private final String mergeMethod;
  private final ModelRef baseModel;
  private final boolean slicesSyntax;
  private final List<SliceSpec> slices;
  private final boolean baseAutoAppended;
  private final ParameterSet parameters;
  private final String dtype;
  private final String outDtype;
  private final String tokenizerSource;
  private final long seed;
  private final String sourceText;
  private final OutputSpec output;
  private final EvaluationSpec evaluation;
  private final SelectionSpec selection;
  private final String configHash;

  JobSpec(
      String name,
      String mergeMethod,
      ModelRef baseModel,
      boolean slicesSyntax,
      List<SliceSpec> slices,
      boolean baseAutoAppended,
      ParameterSet parameters,
      String dtype,
      String outDtype,
      String tokenizerSource,
      long seed,
      String sourceText,
      OutputSpec output,
      EvaluationSpec evaluation,
      SelectionSpec selection) {
    this.name = name;
    this.mergeMethod = mergeMethod;
    this.baseModel = baseModel;
    this.slicesSyntax = slicesSyntax;
    this.slices = List.copyOf(slices);
    this.baseAutoAppended = baseAutoAppended;
    this.parameters = parameters;
    this.dtype = dtype;
    this.outDtype = outDtype;
    this.tokenizerSource = tokenizerSource;
    this.seed = seed;
    this.sourceText = sourceText;
    this.output = output;
    this.evaluation = evaluation;
    this.selection = selection;
    this.configHash = sha256(canonical());
  }

  /** What the merge writes: a model (default) or one PEFT adapter. */
  public OutputSpec output() {
    return output;
  }

  /** The {@code evaluate:} block, or null. Not part of {@link #configHash()}. */
  public EvaluationSpec evaluation() {
    return evaluation;
  }

  /** The {@code select:} block, or null (never set without {@link #evaluation()}). */
  public SelectionSpec selection() {
    return selection;
  }

  /** Name of this job among several in one file; null for now (reserved for grid configs). */
  public String name() {
    return name;
  }

  public String mergeMethod() {
    return mergeMethod;
  }

  /** The top-level {@code base_model}, or null. A slice may override it. */
  public ModelRef baseModel() {
    return baseModel;
  }

  /** True for {@code slices:} configs, false for {@code models:}. */
  public boolean slicesSyntax() {
    return slicesSyntax;
  }

  /** The slices in order; exactly one for {@code models:} syntax. */
  public List<SliceSpec> slices() {
    return slices;
  }

  /**
   * True when {@code models:} did not list {@code base_model} and it was appended as the last
   * source, without parameters (mergekit does the same; for linear it then becomes an ordinary
   * input of the average).
   */
  public boolean baseAutoAppended() {
    return baseAutoAppended;
  }

  /** The top-level {@code parameters}. */
  public ParameterSet parameters() {
    return parameters;
  }

  /** {@code dtype} normalised to bfloat16, float16 or float32, or null when unset. */
  public String dtype() {
    return dtype;
  }

  /** {@code out_dtype} normalised to bfloat16, float16 or float32, or null when unset. */
  public String outDtype() {
    return outDtype;
  }

  /** "base", the path of the model to take the tokenizer from, or null when unset. */
  public String tokenizerSource() {
    return tokenizerSource;
  }

  /** The extension {@code seed}; {@link #DEFAULT_SEED} when absent. */
  public long seed() {
    return seed;
  }

  /** The YAML text of this config as given. */
  public String sourceText() {
    return sourceText;
  }

  /**
   * SHA-256 (hex) of a canonical form of the parsed spec: equal for configs that mean the same
   * (whitespace, comments, key order, number spelling, an explicit default seed), different when
   * any value differs.
   */
  public String configHash() {
    return configHash;
  }

  /** The effective base model of {@code slice}: its own override, else the top-level one. */
  public ModelRef baseModelOf(SliceSpec slice) {
    return slice.baseModel() != null ? slice.baseModel() : baseModel;
  }

  String canonical() {
    StringBuilder sb = new StringBuilder("sparkmerge-config-v1\n");
    sb.append("name=").append(name == null ? "-" : ParameterSetting.quote(name)).append('\n');
    sb.append("method=").append(ParameterSetting.quote(mergeMethod)).append('\n');
    sb.append("base=").append(baseModel == null ? "-" : baseModel.canonical()).append('\n');
    sb.append("syntax=").append(slicesSyntax ? "slices" : "models").append('\n');
    sb.append("params=").append(parameters.canonical()).append('\n');
    sb.append("dtype=").append(dtype).append("\nout_dtype=").append(outDtype).append('\n');
    sb.append("tokenizer=").append(tokenizerSource == null ? "-"
        : ParameterSetting.quote(tokenizerSource)).append('\n');
    sb.append("seed=").append(seed).append('\n');
    if (output.isAdapter()) {
      // Only non-default outputs enter the hash, so model merges keep their earlier hashes.
      sb.append("output=").append(output.canonical()).append('\n');
    }
    for (SliceSpec s : slices) {
      sb.append("slice=").append(s.canonical()).append('\n');
    }
    return sb.toString();
  }

  private static String sha256(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }

  @Override
  public String toString() {
    return "JobSpec{" + mergeMethod + ", base=" + baseModel + ", slices=" + slices
        + ", parameters=" + parameters + "}";
  }
}
