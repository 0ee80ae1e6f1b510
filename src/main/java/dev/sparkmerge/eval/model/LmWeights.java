package dev.sparkmerge.eval.model;

/**
 * All weights of a model in the forward pass's layout (see {@link LayerWeights}). The head is the
 * embedding array itself when the model ties them, so tied weights are held once.
 */
final class LmWeights {
  /** vocab × hidden. */
  final float[] embed;
  /** Learned positions, context × hidden (GPT-2), or null (RoPE). */
  final float[] positions;
  final LayerWeights[] layers;
  final float[] finalNorm;
  final float[] finalNormBias;
  /** vocab × hidden; the same array as {@link #embed} when tied. */
  final float[] head;

  LmWeights(float[] embed, float[] positions, LayerWeights[] layers, float[] finalNorm,
      float[] finalNormBias, float[] head) {
    this.embed = embed;
    this.positions = positions;
    this.layers = layers;
    this.finalNorm = finalNorm;
    this.finalNormBias = finalNormBias;
    this.head = head;
  }

  /** Bytes of float32 held (a tied head counted once). */
  long bytes() {
    long n = embed.length + (positions == null ? 0 : positions.length) + finalNorm.length
        + (finalNormBias == null ? 0 : finalNormBias.length) + (head == embed ? 0 : head.length);
    for (LayerWeights l : layers) {
      n += l.floats();
    }
    return 4 * n;
  }
}
