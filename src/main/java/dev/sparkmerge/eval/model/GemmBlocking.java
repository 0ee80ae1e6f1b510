package dev.sparkmerge.eval.model;

/**
 * What the {@link MatMul} vector kernels share: how many weight rows to keep cache-resident while
 * every activation row passes over them, and how a tile's sums reach y.
 */
final class GemmBlocking {
  /**
   * Bytes of weight rows per block: a block is read once per tile row of x, so it should stay in
   * the core's L2 (1–2 MiB on current x86 and ARM cores) with room for the x rows.
   */
  static final int BLOCK_BYTES = 384 * 1024;

  private GemmBlocking() {}

  /** Weight rows per block for rows of k floats: a multiple of tile, at least one tile. */
  static int weightRows(int k, int tile) {
    int fit = BLOCK_BYTES / (4 * Math.max(1, k));
    return Math.max(tile, fit - fit % tile);
  }

  /**
   * Stores a tile's sums: out[tile·a + b] is the output (row r + a, column j + b); only rows below
   * rows and columns below n are real (the rest repeated the last ones). Adds each output's tail.
   */
  static void store(float[] out, int tile, float[] x, int r, int rows, int k, float[] w, int j,
      int n, int kMain, float[] y) {
    int ra = Math.min(tile, rows - r);
    int cb = Math.min(tile, n - j);
    for (int a = 0; a < ra; a++) {
      int yo = (r + a) * n + j;
      for (int b = 0; b < cb; b++) {
        y[yo + b] = MatMulContract.withTail(out[tile * a + b], x, (r + a) * k, w, (j + b) * k,
            kMain, k);
      }
    }
  }
}
