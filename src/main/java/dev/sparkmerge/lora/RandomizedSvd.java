package dev.sparkmerge.lora;

import dev.sparkmerge.method.CounterRng;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Rank-k factors of a dense matrix M by randomised subspace iteration (Halko, Martinsson, Tropp,
 * "Finding structure with randomness", SIAM Review 2011, Alg. 4.4 and 5.1): sketch Y = M·Ω with a
 * Gaussian Ω of k + p columns, q power iterations re-orthonormalised by QR after every product
 * (otherwise the small singular directions drown in rounding), then the SVD of the small
 * QᵀM = (MᵀQ)ᵀ. With B = U_k·Σ_k and A = V_kᵀ as PEFT splits them. QR and SVD are EJML's.
 *
 * <p>Approximate: B·A is close to, not equal to, the best rank-k approximation (Eckart–Young).
 * How close depends on the spectrum beyond k: pruning leaves a slowly decaying tail, where a
 * larger p helps more per unit of work than a larger q (docs/lora.md has measurements). When
 * k + p reaches min(rows, cols) the sketch spans everything and the result is exact up to
 * rounding.
 *
 * <p>Deterministic: Ω comes from {@link CounterRng} keyed by (seed, module), and the products do
 * not depend on the thread count ({@link DenseProducts}).
 */
final class RandomizedSvd {
  private RandomizedSvd() {}

  /**
   * Factors of M (rows × cols): B (rows × kept) and A (kept × cols), kept = min(k, rows, cols),
   * rounded to float values (what the adapter stores), and the energy ‖B·A‖²_F / ‖M‖²_F of those
   * stored factors, the denominator summed from M itself (1 when M is zero).
   *
   * @param oversampling p: the sketch has k + p columns (at most min(rows, cols))
   * @param powerIterations q: each costs two passes over M and sharpens the spectrum's decay
   */
  static LowRank.Factors truncate(float[] m, int rows, int cols, int k, int oversampling,
      int powerIterations, long streamKey) {
    DenseProducts prod = new DenseProducts(m, rows, cols);
    int l = Math.min(k + oversampling, Math.min(rows, cols));
    DMatrixRMaj q = orthonormal(prod.times(gaussian(cols, l, streamKey)));
    for (int i = 0; i < powerIterations; i++) {
      DMatrixRMaj w = orthonormal(prod.transposeTimes(q));
      q = orthonormal(prod.times(w));
    }
    // M ≈ Q·Qᵀ·M = Q·Zᵀ with Z = Mᵀ·Q = U_z·Σ·V_zᵀ, so M ≈ (Q·V_z)·Σ·U_zᵀ.
    DMatrixRMaj z = prod.transposeTimes(q);
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(z.numRows, z.numCols, true, true, true);
    if (!svd.decompose(z)) {
      throw new IllegalStateException("SVD of the " + z.numRows + " x " + z.numCols
          + " sketch did not converge");
    }
    DMatrixRMaj uz = svd.getU(null, false);
    DMatrixRMaj s = svd.getW(null);
    DMatrixRMaj vz = svd.getV(null, false);
    SingularOps_DDRM.descendingOrder(uz, false, s, vz, false);
    int keep = Math.min(k, l);
    DMatrixRMaj left = new DMatrixRMaj(rows, l);
    CommonOps_DDRM.mult(q, vz, left);
    double[] b = new double[rows * keep];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < keep; j++) {
        b[r * keep + j] = (float) (left.get(r, j) * s.get(j, j));
      }
    }
    double[] a = new double[keep * cols];
    for (int j = 0; j < keep; j++) {
      for (int c = 0; c < cols; c++) {
        a[j * cols + c] = (float) uz.get(c, j);
      }
    }
    double total = prod.squaredNorm();
    double energy = total == 0 ? 1.0 : LowRank.productSquaredNorm(b, a, rows, cols, keep) / total;
    return new LowRank.Factors(b, a, keep, energy, total);
  }

  /** Ω (cols × l): standard normal draws, Box–Muller on two counter-based uniforms each. */
  static DMatrixRMaj gaussian(int cols, int l, long streamKey) {
    DMatrixRMaj omega = new DMatrixRMaj(cols, l);
    for (int i = 0; i < omega.data.length; i++) {
      double u1 = ((CounterRng.bits(streamKey, 2L * i) >>> 11) + 1) * 0x1p-53; // (0, 1]
      double u2 = (CounterRng.bits(streamKey, 2L * i + 1) >>> 11) * 0x1p-53;    // [0, 1)
      // StrictMath: the same bits on every JVM, so the same adapter everywhere.
      omega.data[i] = StrictMath.sqrt(-2 * StrictMath.log(u1))
          * StrictMath.cos(2 * Math.PI * u2);
    }
    return omega;
  }

  /** An orthonormal basis of Y's columns: the thin Q of a Householder QR. */
  private static DMatrixRMaj orthonormal(DMatrixRMaj y) {
    QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(y.numRows, y.numCols);
    if (!qr.decompose(y)) {
      throw new IllegalStateException("QR of a " + y.numRows + " x " + y.numCols
          + " sketch failed");
    }
    return qr.getQ(null, true);
  }
}
