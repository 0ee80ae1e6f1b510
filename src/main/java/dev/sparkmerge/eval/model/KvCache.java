package dev.sparkmerge.eval.model;

/**
 * One sequence's cached keys and values, per layer, laid out [kv head][position][head_dim] so
 * the keys one head attends to are contiguous. Sized once for the sequence's capacity.
 */
final class KvCache {
  final int capacity;
  final int kvHeads;
  final int headDim;
  final float[][] keys;
  final float[][] values;

  KvCache(int layers, int kvHeads, int headDim, int capacity) {
    this.capacity = capacity;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    int size = Math.multiplyExact(Math.multiplyExact(kvHeads, capacity), headDim);
    this.keys = new float[layers][size];
    this.values = new float[layers][size];
  }

  /** Offset of (kv head g, position p) in a layer's arrays. */
  int offset(int g, int p) {
    return (g * capacity + p) * headDim;
  }

  /**
   * Stores rows of k and v (rows × kvHeads·headDim, as the projections produce them) at
   * positions first .. first + rows − 1 of a layer.
   */
  void store(int layer, float[] k, float[] v, int rows, int first) {
    int width = kvHeads * headDim;
    float[] ks = keys[layer];
    float[] vs = values[layer];
    for (int r = 0; r < rows; r++) {
      for (int g = 0; g < kvHeads; g++) {
        int from = r * width + g * headDim;
        int to = offset(g, first + r);
        System.arraycopy(k, from, ks, to, headDim);
        System.arraycopy(v, from, vs, to, headDim);
      }
    }
  }
}
