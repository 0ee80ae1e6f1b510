package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The golden inputs of reference/mergekit.md §4 and a float32-rounding comparison. */
final class Golden {
  static final float[] B = {0.125f, -0.25f, 0.375f, 0.0f, 0.5f, -0.375f, 0.0625f, 0.25f};
  static final float[] X1 = {1.0f, -0.125f, 0.3125f, -0.625f, 0.46875f, 0.375f, 0.0625f, 0.75f};
  static final float[] X2 =
      {-0.4375f, 0.4375f, 0.421875f, 0.8125f, 0.515625f, -0.8125f, 0.15625f, 0.09375f};
  static final float[] X3 = {0.25f, -0.375f, 0.25f, 0.125f, 0.625f, -0.25f, 0.0f, 0.375f};

  private Golden() {}

  /**
   * Asserts agreement within {@code ulps} float32 ulps of max(|expected|, 0.5), plus 5e-9 because
   * the reference prints 8 significant digits. The floor of 0.5 is the size of the golden inputs:
   * an output that comes from cancelling terms of that size (b + Δ with b ≈ −0.375) carries
   * mergekit's float32 rounding error of those terms, not of the small result.
   */
  static void assertClose(double[] expected, float[] actual, double ulps) {
    assertEquals(expected.length, actual.length, "length");
    for (int i = 0; i < expected.length; i++) {
      double tol = ulps * Math.ulp((float) Math.max(Math.abs(expected[i]), 0.5)) + 5e-9;
      assertEquals(expected[i], actual[i], tol, "element " + i);
    }
  }
}
