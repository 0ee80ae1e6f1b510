package dev.sparkmerge.eval.model;

import java.util.Arrays;

/**
 * Causal scaled-dot-product attention of a block of new rows against a {@link KvCache} that
 * already holds their own keys and values, as transformers' eager path computes it: scores
 * q·k · scale in float32, keys after the query (and, with a sliding window, keys the window has
 * passed) excluded, softmax in float32, then the probability-weighted sum of values. Grouped-query
 * attention: query head h reads key/value head h / (heads / kvHeads).
 */
final class Attention {
  /**
   * Rows attended together: their scores and weighted sums share every key and value load
   * (four query rows per load instead of one), over the union of the keys they see; a row's
   * probabilities outside its own keys are zero.
   */
  static final int TILE = 4;

  private final int heads;
  private final int kvHeads;
  private final int headDim;
  /** Per row of a tile, its scores over the tile's keys. */
  private final float[][] scores;

  Attention(int heads, int kvHeads, int headDim, int capacity) {
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    this.scores = new float[TILE][capacity];
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
    int tile = Kernels.VECTOR ? TILE : 1;
    for (int r = 0; r < rows; r += tile) {
      int t = Math.min(tile, rows - r);
      int lo = firstKey(first + r, window);
      int n = first + r + t - lo; // the tile's keys: lo .. its last row's position
      for (int h = 0; h < heads; h++) {
        int g = h / group;
        int qo = r * width + h * headDim;
        int ko = cache.keyOffset(g, 0) + lo;
        int vo = cache.valueOffset(g, lo);
        if (t == TILE) {
          VectorKernels.scoreTile(q, qo, width, keys, ko, cache.capacity, headDim, n, scale,
              scores);
        } else {
          for (int i = 0; i < t; i++) {
            Kernels.scores(q, qo + i * width, keys, ko, cache.capacity, headDim, n, scale,
                scores[i]);
          }
        }
        for (int i = 0; i < t; i++) {
          int pos = first + r + i;
          int from = firstKey(pos, window) - lo;
          int to = pos - lo + 1;
          Kernels.softmax(scores[i], from, to - from);
          Arrays.fill(scores[i], 0, from, 0f);
          Arrays.fill(scores[i], to, n, 0f);
        }
        if (t == TILE) {
          VectorKernels.weightTile(scores, n, values, vo, headDim, out, qo, width);
        } else {
          for (int i = 0; i < t; i++) {
            Kernels.weightedRows(scores[i], n, values, vo, headDim, out, qo + i * width);
          }
        }
      }
    }
  }

  /** The first key a query at {@code pos} sees. */
  private static int firstKey(int pos, int window) {
    return window > 0 ? Math.max(0, pos - window + 1) : 0;
  }
}
