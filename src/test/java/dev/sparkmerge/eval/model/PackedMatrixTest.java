package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Weights packed once give the contract's bits, and their rows read back as stored. */
class PackedMatrixTest {
  private static float[] random(SplittableRandom rnd, int size) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) {
      a[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return a;
  }

  /** Shapes of every remainder: n past whole panels, rows past whole tiles, rows = 1. */
  @Test
  void prepackedProductsGiveTheContractsBits() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int trial = 0; trial < 120; trial++) {
      int rows = trial % 10 == 0 ? 1 : 1 + rnd.nextInt(40);
      int k = 1 + rnd.nextInt(trial < 80 ? 70 : 600);
      int n = 1 + rnd.nextInt(trial < 80 ? 80 : 300);
      float[] x = random(rnd, rows * k);
      float[] w = random(rnd, n * k);
      float[] expected = new float[rows * n];
      MatMulContract.multiplyTransposed(x, rows, k, w, n, expected);
      PackedMatrix p = PackedMatrix.pack(w.clone(), n, k);
      float[] y = new float[rows * n];
      Arrays.fill(y, Float.NaN); // every output must be written
      MatMul.multiplyTransposed(x, rows, p, y);
      assertArrayEquals(expected, y, "rows=" + rows + " k=" + k + " n=" + n);
    }
  }

  @Test
  void rowsReadBackAsStored() {
    SplittableRandom rnd = new SplittableRandom(8);
    for (int[] shape : new int[][] {{1, 1}, {61, 32}, {100, 7}, {33, 300}}) {
      int n = shape[0];
      int k = shape[1];
      float[] w = random(rnd, n * k);
      PackedMatrix p = PackedMatrix.pack(w.clone(), n, k);
      float[] row = new float[k + 2];
      for (int j = 0; j < n; j++) {
        p.copyRow(j, row, 1);
        assertArrayEquals(Arrays.copyOfRange(w, j * k, (j + 1) * k),
            Arrays.copyOfRange(row, 1, k + 1), "row " + j + " of " + n + " × " + k);
      }
    }
  }

  @Test
  void rejectsMismatchedSizes() {
    assertThrows(IllegalArgumentException.class, () -> PackedMatrix.pack(new float[5], 2, 3));
    PackedMatrix p = PackedMatrix.pack(new float[6], 2, 3);
    assertThrows(IllegalArgumentException.class,
        () -> MatMul.multiplyTransposed(new float[5], 2, p, new float[4]));
  }
}
