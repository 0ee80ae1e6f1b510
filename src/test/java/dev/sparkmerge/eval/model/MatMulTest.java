package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MatMulTest {
  /** Unit roundoff of float32 (round to nearest). */
  private static final double U = Math.ulp(1.0f) / 2;

  private static float[] random(SplittableRandom rnd, int size) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return a;
  }

  private interface Product {
    void run(float[] x, int rows, int k, float[] w, int n, float[] y);
  }

  /** MatMul and, where the Vector API is in use, its kernel called directly. */
  private static Product[] kernels() {
    if (MatMulSimd.KERNEL == MatMulSimd.Kernel.SCALAR) {
      return new Product[] {MatMul::multiplyTransposed};
    }
    return new Product[] {MatMul::multiplyTransposed, GemmKernel::multiplyTransposed};
  }

  /** Random shapes: rows 1..70 (every remainder mod the 6-row tile), k and n of any remainder. */
  @Test
  void everyKernelGivesTheContractsBitsAndIsWithinFloat32Rounding() {
    SplittableRandom rnd = new SplittableRandom(42);
    for (int trial = 0; trial < 150; trial++) {
      int rows = 1 + rnd.nextInt(70);
      int k = 1 + rnd.nextInt(trial < 100 ? 80 : 700);
      int n = 1 + rnd.nextInt(trial < 100 ? 40 : 300);
      float[] x = random(rnd, rows * k);
      float[] w = random(rnd, n * k);
      float[] expected = new float[rows * n];
      MatMulContract.multiplyTransposed(x, rows, k, w, n, expected);
      assertWithinRounding(x, rows, k, w, n, expected);
      for (Product p : kernels()) {
        float[] y = new float[rows * n];
        p.run(x, rows, k, w, n, y);
        assertArrayEquals(expected, y, "rows=" + rows + " k=" + k + " n=" + n);
      }
    }
  }

  /**
   * |y − Σ x·w| ≤ k·u·Σ|x·w| (+ the smallest normal, for underflow): a term goes through at most
   * k roundings of the one fma chain (an fma rounds once, so the products are exact before it) —
   * the first-order bound for recursive summation (Higham, Accuracy and Stability, §4.2), with
   * 1% for the second-order terms.
   */
  private static void assertWithinRounding(float[] x, int rows, int k, float[] w, int n,
      float[] y) {
    int m = k;
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < n; j++) {
        double exact = 0;
        double magnitude = 0;
        for (int t = 0; t < k; t++) {
          double p = (double) x[r * k + t] * w[j * k + t];
          exact += p;
          magnitude += Math.abs(p);
        }
        double bound = 1.01 * m * U * magnitude + Float.MIN_NORMAL;
        double err = Math.abs(y[r * n + j] - exact);
        assertTrue(err <= bound, "rows=" + rows + " k=" + k + " n=" + n + " at (" + r + ", " + j
            + "): error " + err + " > bound " + bound);
      }
    }
  }

  /** Decoding computes one row at a time, scoring many: a row's bits must not depend on that. */
  @Test
  void aRowsResultDoesNotDependOnTheBatch() {
    SplittableRandom rnd = new SplittableRandom(7);
    int k = 37 * 16 + 5;
    int n = 77;
    int rows = 23;
    float[] x = random(rnd, rows * k);
    float[] w = random(rnd, n * k);
    float[] batch = new float[rows * n];
    MatMul.multiplyTransposed(x, rows, k, w, n, batch);
    for (int r = 0; r < rows; r++) {
      float[] one = new float[n];
      float[] row = java.util.Arrays.copyOfRange(x, r * k, (r + 1) * k);
      MatMul.multiplyTransposed(row, 1, k, w, n, one);
      assertArrayEquals(java.util.Arrays.copyOfRange(batch, r * n, (r + 1) * n), one,
          "row " + r);
    }
  }

  @Test
  void repeatedCallsGiveTheSameBits() {
    SplittableRandom rnd = new SplittableRandom(3);
    int rows = 9;
    int k = 600;
    int n = 50;
    float[] x = random(rnd, rows * k);
    float[] w = random(rnd, n * k);
    float[] first = new float[rows * n];
    MatMul.multiplyTransposed(x, rows, k, w, n, first);
    for (int i = 0; i < 20; i++) {
      float[] again = new float[rows * n];
      MatMul.multiplyTransposed(x, rows, k, w, n, again);
      assertArrayEquals(first, again);
    }
  }

  @Test
  void longRowsAndSeveralPanels() {
    SplittableRandom rnd = new SplittableRandom(11);
    int rows = 5;
    int k = 2048 + 3;
    int n = 3 * 32 + 7;
    float[] x = random(rnd, rows * k);
    float[] w = random(rnd, n * k);
    float[] expected = new float[rows * n];
    MatMulContract.multiplyTransposed(x, rows, k, w, n, expected);
    for (Product p : kernels()) {
      float[] y = new float[rows * n];
      p.run(x, rows, k, w, n, y);
      assertArrayEquals(expected, y);
    }
  }

  @Test
  void emptyAndDegenerateShapes() {
    float[] y = {5f, 5f};
    MatMul.multiplyTransposed(new float[0], 2, 0, new float[0], 1, y);
    assertArrayEquals(new float[] {0f, 0f}, y); // k = 0: empty sums
    MatMul.multiplyTransposed(new float[0], 0, 3, new float[6], 2, new float[0]);
    float[] one = new float[1];
    MatMul.multiplyTransposed(new float[] {2f}, 1, 1, new float[] {3f}, 1, one);
    assertEquals(6f, one[0]);
    assertThrows(IllegalArgumentException.class,
        () -> MatMul.multiplyTransposed(new float[3], 2, 2, new float[4], 2, new float[4]));
  }
}
