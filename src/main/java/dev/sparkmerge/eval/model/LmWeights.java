package dev.sparkmerge.eval.model;

/**
 * All weights of a model in the forward pass's layout (see {@link LayerWeights}). When the model
 * ties the LM head to the embedding, only the packed head is held and embedding rows are read
 * from it ({@link #embedRow}): a row-major copy would cost vocab × hidden floats (113 MB for
 * SmolLM-135M) to save a strided gather of hidden floats per token.
 */
final class LmWeights {
  /** vocab × hidden row-major, or null when tied (rows then come from {@link #head}). */
  final float[] embed;
  /** Learned positions, context × hidden (GPT-2), or null (RoPE). */
  final float[] positions;
  final LayerWeights[] layers;
  final float[] finalNorm;
  final float[] finalNormBias;
  /** vocab × hidden, packed. */
  final PackedMatrix head;

  LmWeights(float[] embed, float[] positions, LayerWeights[] layers, float[] finalNorm,
      float[] finalNormBias, PackedMatrix head) {
    this.embed = embed;
    this.positions = positions;
    this.layers = layers;
    this.finalNorm = finalNorm;
    this.finalNormBias = finalNormBias;
    this.head = head;
  }

  /** The embedding of token into dst[o .. o + hidden). */
  void embedRow(int token, float[] dst, int o) {
    if (embed == null) {
      head.copyRow(token, dst, o);
    } else {
      int hd = head.k;
      System.arraycopy(embed, token * hd, dst, o, hd);
    }
  }

  /** Bytes of float32 held, as stored (a tied head counted once, panel padding not at all). */
  long bytes() {
    long n = (embed == null ? 0 : embed.length) + (positions == null ? 0 : positions.length)
        + finalNorm.length + (finalNormBias == null ? 0 : finalNormBias.length) + head.floats();
    for (LayerWeights l : layers) {
      n += l.floats();
    }
    return 4 * n;
  }
}
