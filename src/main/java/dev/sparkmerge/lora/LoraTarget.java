package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.TensorInfo;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One LoRA module of one adapter applied to one base tensor: where its factors are, how ΔW = s·B·A
 * lines up with the stored base tensor, and its optional lora_bias and DoRA magnitude. Built on the
 * driver by {@link AdapterMapping} from headers only; {@link LoraDelta} turns it into values on an
 * executor.
 *
 * <p>Orientation: with A r × in and B out × r, ΔW is out × in ("math orientation", the
 * {@code nn.Linear} layout). When {@link #transposed()} the base stores in × out (GPT-2 family
 * Conv1D, every embedding) and the delta to add is (s·B·A)ᵀ.
 */
public final class LoraTarget implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String baseTensorName;
  private final long[] baseShape;
  private final boolean transposed;
  private final boolean embedding;
  private final double scale;
  private final String adapterFile;
  private final long dataStart;
  private final TensorInfo a;
  private final TensorInfo b;
  private final TensorInfo biasB;
  private final String modulePath;
  private final boolean dora;
  private final TensorInfo magnitude;

  LoraTarget(String baseTensorName, long[] baseShape, boolean transposed, boolean embedding,
      double scale, String adapterFile, long dataStart, TensorInfo a, TensorInfo b,
      TensorInfo biasB, String modulePath, boolean dora, TensorInfo magnitude) {
    this.baseTensorName = baseTensorName;
    this.baseShape = baseShape.clone();
    this.transposed = transposed;
    this.embedding = embedding;
    this.scale = scale;
    this.adapterFile = adapterFile;
    this.dataStart = dataStart;
    this.a = a;
    this.b = b;
    this.biasB = biasB;
    this.modulePath = modulePath;
    this.dora = dora;
    this.magnitude = magnitude;
  }

  /** The base tensor this module modifies, as stored in the base checkpoint. */
  public String baseTensorName() {
    return baseTensorName;
  }

  /**
   * The shape ΔW is produced in: the stored base tensor's shape (or the shape of the adapter's
   * full replacement of it, when the adapter also saves that tensor).
   */
  public long[] baseShape() {
    return baseShape.clone();
  }

  /** True when ΔW is stored as (s·B·A)ᵀ: GPT-2 family Conv1D modules and all embeddings. */
  public boolean transposed() {
    return transposed;
  }

  /** True for {@code lora_embedding_A/B} factors. */
  public boolean embedding() {
    return embedding;
  }

  /** The LoRA scaling s (alpha / r or alpha / √r), in double. */
  public double scale() {
    return scale;
  }

  /** The adapter's {@code adapter_model.safetensors} as a qualified URI. */
  public String adapterFile() {
    return adapterFile;
  }

  /** Absolute position of the adapter file's data section (8 + header length). */
  public long dataStart() {
    return dataStart;
  }

  /** lora_A (r × in); for embeddings lora_embedding_A (r × num_embeddings). */
  public TensorInfo a() {
    return a;
  }

  /** lora_B (out × r); for embeddings lora_embedding_B (embedding_dim × r). */
  public TensorInfo b() {
    return b;
  }

  /** The {@code lora_B.bias} vector (lora_bias = true), or null; see {@link LoraBiasTarget}. */
  public TensorInfo biasB() {
    return biasB;
  }

  /** The module path relative to the base model, e.g. {@code transformer.h.0.attn.c_attn}. */
  public String modulePath() {
    return modulePath;
  }

  /** True when the module is merged with the DoRA formula (reference §3.4); see {@link DoraMerge}. */
  public boolean dora() {
    return dora;
  }

  /** The DoRA {@code lora_magnitude_vector} (out elements), or null when not DoRA. */
  public TensorInfo magnitude() {
    return magnitude;
  }

  public int rank() {
    return (int) a.dim(0);
  }

  /** Rows of ΔW in math orientation: B's rows. */
  public long outFeatures() {
    return b.dim(0);
  }

  /** Columns of ΔW in math orientation: A's columns. */
  public long inFeatures() {
    return a.dim(1);
  }

  /** Elements of the base tensor (and of ΔW). */
  public long numel() {
    return baseShape[0] * baseShape[1];
  }

  @Override
  public String toString() {
    return modulePath + " -> " + baseTensorName + " " + Arrays.toString(baseShape)
        + (transposed ? " (transposed)" : "") + " r=" + rank() + " s=" + scale
        + (dora ? " DoRA" : "");
  }
}
