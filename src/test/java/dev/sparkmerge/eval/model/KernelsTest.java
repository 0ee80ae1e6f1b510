package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels give the scalar loops' bits (which the forward pass runs without
 * {@code jdk.incubator.vector}), for lengths with and without tails; exp and the ordered sum
 * compute what they say.
 */
class KernelsTest {
  private static float[] random(int n, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return a;
  }

  /** Bit for bit: the determinism contract, not a tolerance. */
  private static void assertBits(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      int e = Float.floatToIntBits(expected[i]);
      int a = Float.floatToIntBits(actual[i]);
      if (e != a) {
        fail(what + ": element " + i + " is " + actual[i] + " (0x" + Integer.toHexString(a)
            + "), the scalar loop gives " + expected[i] + " (0x" + Integer.toHexString(e) + ")");
      }
    }
  }

  /** Inputs over exp's whole range, its thresholds and special values. */
  private static float[] expInputs(int n, long seed) {
    float[] x = random(n, 100, seed);
    float[] special = {0f, -0f, 1f, -1f, Exp32.MIN_INPUT, Math.nextDown(Exp32.MIN_INPUT),
        Exp32.MAX_INPUT, Math.nextUp(Exp32.MAX_INPUT), Float.NEGATIVE_INFINITY,
        Float.POSITIVE_INFINITY, 1e-30f, -1e-30f, 0.3466f, -0.3466f, 88.72f, -87.5f};
    for (int i = 0; i < Math.min(n, special.length); i++) {
      x[(i * 7) % n] = special[i];
    }
    return x;
  }

  @Test
  void vectorExpAndSumGiveTheScalarBits() {
    assumeTrue(Kernels.VECTOR, "jdk.incubator.vector not available");
    for (int n = 1; n <= 130; n++) {
      checkExpAndSum(n);
    }
    for (int n : new int[] {255, 256, 257, 511, 512, 1000, 5632}) {
      checkExpAndSum(n);
    }
  }

  private static void checkExpAndSum(int n) {
    float[] x = expInputs(n + 3, n);
    for (float[] scaleShift : new float[][] {{1f, 0f}, {1f, 3.5f}, {-1f, 0f}, {-2f, 0f}}) {
      float[] scalar = new float[n + 5];
      float[] vector = new float[n + 5];
      Kernels.scalarExp(x, 3, scalar, 2, n, scaleShift[0], scaleShift[1]);
      VectorKernels.expInto(x, 3, vector, 2, n, scaleShift[0], scaleShift[1]);
      assertBits(scalar, vector, "exp, n = " + n);
    }
    float[] terms = random(n + 2, 1, 3 * n);
    for (int i = 0; i < terms.length; i += 5) {
      terms[i] *= 1e6f; // magnitudes far apart: a different order would round differently
    }
    assertEquals(Float.floatToIntBits(OrderedSum.of(terms, 2, n)),
        Float.floatToIntBits(VectorKernels.sum(terms, 2, n)), "sum, n = " + n);
  }

  @Test
  void exp32IsWithinTwoUlpOfExp() {
    float worst = 0;
    for (float x = Exp32.MIN_INPUT; x <= Exp32.MAX_INPUT; x += 0.0007f) {
      double exact = StrictMath.exp(x);
      float ulps = (float) (Math.abs(Exp32.exp(x) - exact) / Math.ulp((float) exact));
      worst = Math.max(worst, ulps);
    }
    assertTrue(worst <= 2, "max error " + worst + " ulp");
    assertEquals(0f, Exp32.exp(Math.nextDown(Exp32.MIN_INPUT)));
    assertEquals(1f, Exp32.exp(0f));
    assertEquals(1f, Exp32.exp(-0f));
    assertEquals(Float.POSITIVE_INFINITY, Exp32.exp(Float.POSITIVE_INFINITY));
    assertTrue(Float.isNaN(Exp32.exp(Float.NaN)));
  }

  @Test
  void orderedSumFollowsItsOrder() {
    float[] a = new float[40];
    for (int i = 0; i < a.length; i++) {
      a[i] = i % 3 == 0 ? 1e8f : 1f;
    }
    float[] p = new float[16];
    for (int i = 0; i < a.length; i++) {
      p[i % 16] += a[i];
    }
    for (int half = 8; half > 0; half /= 2) {
      for (int j = 0; j < half; j++) {
        p[j] += p[j + half];
      }
    }
    assertEquals(p[0], OrderedSum.of(a, 0, a.length));
  }

  @Test
  void vectorAttentionKernelsGiveTheScalarBits() {
    assumeTrue(Kernels.VECTOR, "jdk.incubator.vector not available");
    int stride = 300;
    for (int dims : new int[] {8, 16, 64, 80, 128}) {
      for (int n : new int[] {1, 15, 16, 17, 64, 65, 200}) {
        float[] q = random(dims, 1, dims);
        float[] kt = random(dims * stride, 1, n);
        float[] scalar = new float[n];
        float[] vector = new float[n];
        Kernels.scalarScores(q, 0, kt, 7, stride, dims, 0, n, 0.125f, scalar);
        VectorKernels.scores(q, 0, kt, 7, stride, dims, n, 0.125f, vector);
        assertBits(scalar, vector, "dims " + dims + ", n " + n);
        float[] p = random(n, 1, n + dims);
        float[] v = random(n * dims + 5, 1, n - dims);
        float[] outScalar = new float[dims + 3];
        float[] outVector = new float[dims + 3];
        Kernels.scalarWeightedRows(p, n, v, 5, dims, 0, outScalar, 3);
        VectorKernels.weightedRows(p, n, v, 5, dims, outVector, 3);
        assertBits(outScalar, outVector, "dims " + dims + ", n " + n);
        assertEquals(0f, outVector[0]);
        // Tiles of four rows: rows 11 floats apart in q, dims + 2 apart in the output.
        float[] q4 = random(3 * 11 + dims, 1, dims + n);
        float[][] tile = new float[4][n];
        VectorKernels.scoreTile(q4, 0, 11, kt, 7, stride, dims, n, 0.125f, tile);
        float[][] p4 = new float[4][];
        float[] outTile = new float[4 * (dims + 2)];
        for (int i = 0; i < 4; i++) {
          float[] row = new float[n];
          Kernels.scalarScores(q4, i * 11, kt, 7, stride, dims, 0, n, 0.125f, row);
          assertBits(row, tile[i], "dims " + dims + ", n " + n);
          p4[i] = random(n, 1, i * 100 + n);
        }
        VectorKernels.weightTile(p4, n, v, 5, dims, outTile, 0, dims + 2);
        for (int i = 0; i < 4; i++) {
          float[] row = new float[dims];
          Kernels.scalarWeightedRows(p4[i], n, v, 5, dims, 0, row, 0);
          assertBits(row, java.util.Arrays.copyOfRange(outTile, i * (dims + 2),
              i * (dims + 2) + dims), "dims " + dims + ", n " + n);
        }
      }
    }
  }

  @Test
  void scalarKernelsComputeTheirFormulas() {
    float[] s = {1f, 2f, 3f};
    Kernels.softmax(s, 0, 3);
    double z = Math.exp(-2) + Math.exp(-1) + 1;
    assertEquals(1 / z, s[2], 1e-7);
    float[] g = {2f};
    Kernels.siluTimes(g, new float[] {3f}, 0, 1, new float[1]);
    assertEquals(2 / (1 + Math.exp(-2)) * 3, g[0], 1e-6);
    float[] x = {1f, -3f};
    Kernels.geluTanh(x, 0, 2, new float[2]);
    double c = Math.sqrt(2 / Math.PI);
    assertEquals(0.5 * (1 + Math.tanh(c * 1.044715)), x[0], 1e-7);
    assertEquals(-1.5 * (1 + Math.tanh(c * (-3 - 0.044715 * 27))), x[1], 1e-7);
    float[] norm = new float[2];
    Kernels.rmsNorm(new float[] {3f, 4f}, 0, new float[] {1f, 2f}, 0f, norm, 0, 2);
    assertEquals(3 / Math.sqrt(12.5), norm[0], 1e-6);
    assertEquals(8 / Math.sqrt(12.5), norm[1], 1e-6);
  }
}
