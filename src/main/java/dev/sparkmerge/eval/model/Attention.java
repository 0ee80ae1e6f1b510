package dev.sparkmerge.eval.model;

/**
 * Causal scaled-dot-product attention of a block of new rows against a {@link KvCache} that
 * already holds their own keys and values, as transformers' eager path computes it: scores
 * q·k · scale in float32, keys after the query (and, with a sliding window, keys the window has
 * passed) excluded, softmax in float32, then the probability-weighted sum of values. Grouped-query
 * attention: query head h reads key/value head h / (heads / kvHeads).
 */
final class Attention {
  private final int heads;
  private final int kvHeads;
  private final int headDim;
  /** One query's scores over the keys it sees. */
  private final float[] scores;

  Attention(int heads, int kvHeads, int headDim, int capacity) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.scores = new float[capacity];
  }

  /**
   * out (rows × heads·headDim) = attention of q (rows × heads·headDim, row r at position
   * first + r) over the layer's cached positions up to each row's own.
   *
   * @param window keys a query sees, its own included (mistral's sliding_window); 0 for all
   */
  void attend(float[] q, int rows, int first, KvCache cache, int layer, float scale, int window,
      float[] out) {
    float[] keys = cache.keys[layer];
    float[] values = cache.values[layer];
    int width = heads * headDim;
    int group = heads / kvHeads;
    for (int r = 0; r < rows; r++) {
      int pos = first + r;
      int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
      int n = pos - lo + 1;
      for (int h = 0; h < heads; h++) {
        int g = h / group;
        int qo = r * width + h * headDim;
        Kernels.scores(q, qo, keys, cache.keyOffset(g, 0) + lo, cache.capacity, headDim, n,
            scale, scores);
        Kernels.softmax(scores, n);
        Kernels.weightedRows(scores, n, values, cache.valueOffset(g, lo), headDim, out, qo);
      }
    }
  }
}
