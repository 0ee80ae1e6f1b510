package dev.sparkmerge.eval.model;

/**
 * Rotary position embedding in transformers' "rotate_half" form: head dimension i pairs with
 * i + head_dim/2 (not interleaved), x' = x·cos + rotate_half(x)·sin, with cos and sin of the
 * float32 product position · inv_freq. The cos/sin of a block's positions are computed once per
 * block and used by every layer.
 */
final class Rope {
  private final float[] invFreq;
  private final int half;
  private final float[] cos;
  private final float[] sin;

  Rope(float[] invFreq, int maxRows) {
    this.invFreq = invFreq;
    this.half = invFreq.length;
    this.cos = new float[maxRows * half];
    this.sin = new float[maxRows * half];
  }

  /** Computes cos/sin for rows at positions first .. first + rows − 1. */
  void prepare(int first, int rows) {
    for (int r = 0; r < rows; r++) {
      float pos = first + r;
      for (int i = 0; i < half; i++) {
        float angle = pos * invFreq[i]; // rounded to float32, as torch's product is
        cos[r * half + i] = (float) StrictMath.cos(angle);
        sin[r * half + i] = (float) StrictMath.sin(angle);
      }
    }
  }

  /** Rotates every head of rows × (heads · 2·half) values in x, row r at prepared position r. */
  void rotate(float[] x, int rows, int heads) {
    int headDim = 2 * half;
    for (int r = 0; r < rows; r++) {
      int t = r * half;
      for (int h = 0; h < heads; h++) {
        int o = (r * heads + h) * headDim;
        for (int i = 0; i < half; i++) {
          float a = x[o + i];
          float b = x[o + half + i];
          float c = cos[t + i];
          float s = sin[t + i];
          x[o + i] = a * c - b * s;
          x[o + half + i] = b * c + a * s;
        }
      }
    }
  }
}
