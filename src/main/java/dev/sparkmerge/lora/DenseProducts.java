package dev.sparkmerge.lora;

import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Products of a dense float32 matrix M (rows × cols, row-major) with thin double matrices, for the
 * randomised SVD. M stays float (half the memory of a double copy); blocks of it are widened to
 * double and multiplied by EJML, so sums run in double. Blocks run in parallel, and every output
 * block is one EJML product over the whole inner dimension, so the result does not depend on the
 * number of threads.
 */
final class DenseProducts {
  /** Doubles per widened block (8 MiB): large enough for EJML's blocked kernels, cache-friendly. */
  private static final int BLOCK = 1 << 20;

  private final float[] m;
  private final int rows;
  private final int cols;

  DenseProducts(float[] m, int rows, int cols) {
    if ((long) rows * cols != m.length) {
      throw new IllegalArgumentException(m.length + " elements are not " + rows + " x " + cols);
    }
    this.m = m;
    this.rows = rows;
    this.cols = cols;
  }

  /** M·X (rows × l) for X cols × l, by blocks of M's rows. */
  DMatrixRMaj times(DMatrixRMaj x) {
    int l = x.numCols;
    DMatrixRMaj y = new DMatrixRMaj(rows, l);
    int h = Math.max(1, Math.min(rows, BLOCK / cols));
    IntStream.range(0, (rows + h - 1) / h).parallel().forEach(b -> {
      int r0 = b * h;
      int n = Math.min(h, rows - r0);
      DMatrixRMaj block = new DMatrixRMaj(n, cols);
      for (int i = 0; i < n * cols; i++) {
        block.data[i] = m[r0 * cols + i];
      }
      DMatrixRMaj part = new DMatrixRMaj(n, l);
      CommonOps_DDRM.mult(block, x, part);
      System.arraycopy(part.data, 0, y.data, r0 * l, n * l);
    });
    return y;
  }

  /** Mᵀ·Q (cols × l) for Q rows × l, by blocks of M's columns. */
  DMatrixRMaj transposeTimes(DMatrixRMaj q) {
    int l = q.numCols;
    DMatrixRMaj z = new DMatrixRMaj(cols, l);
    int w = Math.max(1, Math.min(cols, BLOCK / rows));
    IntStream.range(0, (cols + w - 1) / w).parallel().forEach(b -> {
      int c0 = b * w;
      int n = Math.min(w, cols - c0);
      DMatrixRMaj block = new DMatrixRMaj(rows, n);
      for (int r = 0; r < rows; r++) {
        int from = r * cols + c0;
        for (int j = 0; j < n; j++) {
          block.data[r * n + j] = m[from + j];
        }
      }
      DMatrixRMaj part = new DMatrixRMaj(n, l);
      CommonOps_DDRM.multTransA(block, q, part);
      System.arraycopy(part.data, 0, z.data, c0 * l, n * l);
    });
    return z;
  }

  /** ‖M‖_F², summed in double. */
  double squaredNorm() {
    double s = 0;
    for (float v : m) {
      s += (double) v * v;
    }
    return s;
  }
}
