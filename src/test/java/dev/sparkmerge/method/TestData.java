package dev.sparkmerge.method;

import java.util.Random;

/** Random test tensors whose arithmetic is exact in float32 and whose delta magnitudes are distinct. */
final class TestData {
  private TestData() {}

  /** A base with entries m·2^-12, |m| &lt; 4096. */
  static float[] base(Random r, int n) {
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      b[i] = (r.nextInt(8191) - 4095) / 4096f;
    }
    return b;
  }

  /**
   * base + δ where |δ| runs over a random permutation of k·2^-14 (k = 1..n), with random signs: every
   * delta is exact in float32 and no two magnitudes tie, so top-k and ranks are unambiguous.
   */
  static float[] distinctDeltas(Random r, float[] base) {
    int n = base.length;
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i + 1;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      float d = perm[i] / 16384f;
      x[i] = base[i] + (r.nextBoolean() ? d : -d);
    }
    return x;
  }

  /** bf16-like data: Gaussian values rounded to 8 significant bits, so magnitudes tie a lot. */
  static float[] bf16Like(Random r, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = roundToBf16((float) (r.nextGaussian() * scale));
    }
    return x;
  }

  /** Round-to-nearest-even float32 → bfloat16 → float32. */
  static float roundToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }
}
