package dev.sparkmerge.method;

/**
 * Ascending order of non-negative int keys (magnitude bit patterns), equal keys by position: an
 * LSD radix sort, three passes of 11 bits. Stable, so ties keep increasing index order, and linear
 * time: DELLA ranks every row of every model twice, where a comparison sort dominated the run.
 */
final class RowRanks {
  private static final int BITS = 11;
  private static final int RADIX = 1 << BITS;

  private final int[] counts = new int[RADIX];
  private int[] order = new int[0];
  private int[] spare = new int[0];

  /**
   * Sorts positions 0..n−1 by keys[position] ascending; returns an array whose first n entries
   * are the positions in that order (valid until the next call).
   */
  int[] ascending(int[] keys, int n) {
    if (order.length < n) {
      order = new int[n];
      spare = new int[n];
    }
    int[] src = order;
    int[] dst = spare;
    for (int i = 0; i < n; i++) {
      src[i] = i;
    }
    for (int shift = 0; shift < 31; shift += BITS) {
      java.util.Arrays.fill(counts, 0);
      for (int i = 0; i < n; i++) {
        counts[(keys[src[i]] >>> shift) & (RADIX - 1)]++;
      }
      int sum = 0;
      for (int d = 0; d < RADIX; d++) {
        int c = counts[d];
        counts[d] = sum;
        sum += c;
      }
      for (int i = 0; i < n; i++) {
        int p = src[i];
        dst[counts[(keys[p] >>> shift) & (RADIX - 1)]++] = p;
      }
      int[] t = src;
      src = dst;
      dst = t;
    }
    order = src;
    spare = dst;
    return src;
  }
}
