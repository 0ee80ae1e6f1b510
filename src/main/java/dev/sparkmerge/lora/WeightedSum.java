package dev.sparkmerge.lora;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Σ w_i·ΔW_i of one module as a dense float32 matrix, for {@code svd}'s randomised route. Each
 * block of the result (64 Ki elements, cache-sized) gets every adapter's ΔW_i block from its
 * factors in turn ({@link LoraDelta#fill}, whose A_i stays in cache) and adds w_i times it in
 * float, in adapter order, so the sum costs r multiply-adds per element and adapter and the bits
 * do not depend on the thread count. (Holding the sum is unavoidable for the SVD; forming it from
 * the stacked factors directly would stream all Σ r_i rows of A once per output row.)
 */
final class WeightedSum {
  private static final int BLOCK = 1 << 16;

  private WeightedSum() {}

  static float[] dense(List<LoraDelta> deltas, double[] weights) {
    long total = deltas.get(0).numel();
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(total + " elements do not fit one array");
    }
    int numel = (int) total;
    float[] sum = new float[numel];
    IntStream.range(0, (numel + BLOCK - 1) / BLOCK).parallel().forEach(b -> {
      int start = b * BLOCK;
      int n = Math.min(BLOCK, numel - start);
      float[] delta = new float[n];
      for (int i = 0; i < deltas.size(); i++) {
        deltas.get(i).fill(start, n, delta);
        float w = (float) weights[i];
        for (int j = 0; j < n; j++) {
          sum[start + j] += w * delta[j];
        }
      }
    });
    return sum;
  }
}
