package dev.sparkmerge.checkpoint;

import java.io.Serializable;

/**
 * The LoRA factors of one adapted module: A (r × in) and B (out × r), or for embeddings
 * A_emb (r × num_embeddings) and B_emb (embedding_dim × r); optional {@code lora_B} bias and DoRA
 * magnitude. {@code modulePath} is relative to the base model (prefix and .base_layer removed).
 */
public final class LoraModule implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String modulePath;
  private final boolean embedding;
  private final TensorInfo a;
  private final TensorInfo b;
  private final TensorInfo biasB;
  private final TensorInfo magnitude;
  private final int configRank;
  private final double alpha;
  private final double scale;

  LoraModule(String modulePath, boolean embedding, TensorInfo a, TensorInfo b, TensorInfo biasB,
      TensorInfo magnitude, int configRank, double alpha, double scale) {
    this.modulePath = modulePath;
    this.embedding = embedding;
    this.a = a;
    this.b = b;
    this.biasB = biasB;
    this.magnitude = magnitude;
    this.configRank = configRank;
    this.alpha = alpha;
    this.scale = scale;
  }

  public String modulePath() {
    return modulePath;
  }

  /** True for {@code lora_embedding_A/B}, whose ΔW is always transposed (reference §2.5). */
  public boolean isEmbedding() {
    return embedding;
  }

  public TensorInfo a() {
    return a;
  }

  public TensorInfo b() {
    return b;
  }

  /** The {@code lora_B.bias} vector (lora_bias=true), or null. */
  public TensorInfo biasB() {
    return biasB;
  }

  /** The DoRA {@code lora_magnitude_vector}, or null. */
  public TensorInfo magnitude() {
    return magnitude;
  }

  /** The rank, from the factors' shapes (equal to the config's resolved rank; checked). */
  public int rank() {
    return (int) a.dim(0);
  }

  public int configRank() {
    return configRank;
  }

  public double alpha() {
    return alpha;
  }

  /** s = alpha / r (or alpha / √r with rsLoRA), in double. */
  public double scale() {
    return scale;
  }

  /** Rows of ΔW in math orientation (B's rows). */
  public long outFeatures() {
    return b.dim(0);
  }

  /** Columns of ΔW in math orientation (A's columns). */
  public long inFeatures() {
    return a.dim(1);
  }
}
