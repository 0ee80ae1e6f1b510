package dev.sparkmerge.eval.model;

/**
 * One sequence's cached keys and values, per layer, sized once for the sequence's capacity.
 * Keys are stored transposed, [kv head][head_dim][position], so one query's scores against many
 * keys are a vector multiply-add per head dimension over contiguous positions (no horizontal
 * sums); values are [kv head][position][head_dim], so the weighted sum of value rows runs over
 * contiguous head dimensions.
 */
final class KvCache {
  final int capacity;
  final int kvHeads;
  final int headDim;
  /** Per layer: key d of kv head g at position p is at {@link #keyOffset}(g, d) + p. */
  final float[][] keys;
  /** Per layer: value row of kv head g at position p starts at {@link #valueOffset}(g, p). */
  final float[][] values;

  KvCache(int layers, int kvHeads, int headDim, int capacity) {
    this.capacity = capacity;
    this.kvHeads = kvHeads;
    this.headDim = headDim;
    int size = Math.multiplyExact(Math.multiplyExact(kvHeads, capacity), headDim);
    this.keys = new float[layers][size];
    this.values = new float[layers][size];
  }

  /** Where key dimension d of kv head g starts (positions follow contiguously). */
  int keyOffset(int g, int d) {
    return (g * headDim + d) * capacity;
  }

  /** Where the value row of kv head g at position p starts. */
  int valueOffset(int g, int p) {
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
      int pos = first + r;
      for (int g = 0; g < kvHeads; g++) {
        int from = r * width + g * headDim;
        for (int d = 0; d < headDim; d++) {
          ks[keyOffset(g, d) + pos] = k[from + d];
        }
        System.arraycopy(v, from, vs, valueOffset(g, pos), headDim);
      }
    }
  }
}
