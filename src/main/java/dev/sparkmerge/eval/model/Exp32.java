package dev.sparkmerge.eval.model;

/**
 * exp(x) for float32 built only from operations IEEE 754 defines exactly (multiply, add, fused
 * multiply-add, scaling by a power of two), so this scalar form and the lane-wise form in
 * {@link VectorKernels#expInto} give the same bits on every JVM tier, vector width and CPU.
 * Neither {@code Math.exp} (may differ by an ulp between CPUs and from its intrinsic) nor the
 * Vector API's {@code EXP} (an SVML intrinsic in C2, {@code Math.exp} per lane in the
 * interpreter and C1) can promise that, and scores must be byte-identical on any cluster.
 *
 * <p>Method: n = round(x·log2 e), r = x − n·ln 2 (two-part ln 2, fused), exp(r) by its Taylor
 * polynomial to degree 7 (|r| ≤ 0.35: truncation below 2^-30), times 2^n from the exponent
 * bits. Within 2 ulp of exp. Inputs below {@link #MIN_INPUT} give 0 instead of values
 * under 2^-124 (no subnormal results: they are ~100× slower in later arithmetic, and a softmax
 * or sigmoid never notices them); above {@link #MAX_INPUT}, +∞; NaN gives NaN.
 */
final class Exp32 {
  static final float MIN_INPUT = -86f;
  static final float MAX_INPUT = 88f;
  static final float LOG2E = 1.44269504f;
  /** ln 2 split so that n · LN2_HI is exact for |n| &lt; 2^9. */
  static final float LN2_HI = 0.693145751953125f;
  static final float LN2_LO = 1.42860677e-6f;
  /** 1.5 · 2^23: adding then subtracting it rounds to an integer; t's low bits then hold n. */
  static final float ROUND = 12582912f;
  /** Bits of ROUND minus the exponent bias: (bits(t) − this) &lt;&lt; 23 is the bits of 2^n. */
  static final int EXPONENT_OFFSET = Float.floatToRawIntBits(ROUND) - 127;
  static final float C2 = 1f / 2;
  static final float C3 = 1f / 6;
  static final float C4 = 1f / 24;
  static final float C5 = 1f / 120;
  static final float C6 = 1f / 720;
  static final float C7 = 1f / 5040;

  private Exp32() {}

  static float exp(float x) {
    if (x < MIN_INPUT) {
      return 0f;
    }
    if (x > MAX_INPUT) {
      return Float.POSITIVE_INFINITY;
    }
    float t = x * LOG2E + ROUND;
    float n = t - ROUND;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(C7, r, C6);
    p = Math.fma(p, r, C5);
    p = Math.fma(p, r, C4);
    p = Math.fma(p, r, C3);
    p = Math.fma(p, r, C2);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f);
    return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) - EXPONENT_OFFSET) << 23);
  }
}
