package dev.sparkmerge.eval.model;

/**
 * A pre-norm decoder-only transformer (Llama, Mistral, Qwen2, GPT-2) over float32 weights: the
 * config's choices ({@link LmConfig}) and the weights ({@link LmWeights}), shared read-only by
 * every {@link DecoderSequence} started from it.
 */
final class DecoderLm implements CausalLm {
  final LmConfig config;
  final LmWeights weights;

  DecoderLm(LmConfig config, LmWeights weights) {
    this.config = config;
    this.weights = weights;
  }

  @Override
  public String modelType() {
    return config.modelType;
  }

  @Override
  public int vocabSize() {
    return config.vocab;
  }

  @Override
  public int contextLength() {
    return config.contextLength;
  }

  @Override
  public long weightBytes() {
    return weights.bytes();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if capacity is not in [1, contextLength()]
   */
  @Override
  public Sequence start(int capacity) {
    if (capacity < 1 || capacity > config.contextLength) {
      throw new IllegalArgumentException("sequence capacity " + capacity + " outside [1, "
          + config.contextLength + "], the model's context length");
    }
    return new DecoderSequence(config, weights, capacity);
  }
}
