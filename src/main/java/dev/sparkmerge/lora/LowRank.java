package dev.sparkmerge.lora;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Truncated SVD of M = B·A (B: out × R, A: R × in, R small) without forming M
 * (reference/peft-lora.md §4.8): thin QR of B and of Aᵀ, SVD of the small core K = R_B·R_Aᵀ, then
 * U = Q_B·U_K and V = Q_A·V_K. Exact up to floating point; cost O((out + in)·R² + R³).
 */
final class LowRank {
  private LowRank() {}

  /** B' = U_k·Σ_k (out × k) and A' = V_kᵀ (k × in), as PEFT splits them. */
  static final class Factors {
    final double[] b;
    final double[] a;
    final int rank;
    /** ‖B'·A'‖²_F / ‖M‖²_F (1 when M is zero). */
    final double energyKept;
    /** ‖M‖²_F, the energy of the matrix factored. */
    final double totalEnergy;

    Factors(double[] b, double[] a, int rank, double energyKept, double totalEnergy) {
      this.b = b;
      this.a = a;
      this.rank = rank;
      this.energyKept = energyKept;
      this.totalEnergy = totalEnergy;
    }
  }

  static Factors truncate(double[] bData, double[] aData, int out, int in, int r, int k) {
    DMatrixRMaj b = DMatrixRMaj.wrap(out, r, bData);
    DMatrixRMaj at = new DMatrixRMaj(in, r);
    CommonOps_DDRM.transpose(DMatrixRMaj.wrap(r, in, aData), at);
    DMatrixRMaj[] qrB = thinQr(b);
    DMatrixRMaj[] qrA = thinQr(at);
    DMatrixRMaj core = new DMatrixRMaj(qrB[1].numRows, qrA[1].numRows);
    CommonOps_DDRM.multTransB(qrB[1], qrA[1], core);
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(core.numRows, core.numCols, true, true, true);
    if (!svd.decompose(core)) {
      throw new IllegalStateException("SVD of the " + core.numRows + " x " + core.numCols
          + " core did not converge");
    }
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj w = svd.getW(null);
    DMatrixRMaj v = svd.getV(null, false);
    SingularOps_DDRM.descendingOrder(u, false, w, v, false);
    int n = Math.min(w.numRows, w.numCols);
    int keep = Math.min(k, n);
    double total = 0;
    double kept = 0;
    for (int i = 0; i < n; i++) {
      double s2 = w.get(i, i) * w.get(i, i);
      total += s2;
      if (i < keep) {
        kept += s2;
      }
    }
    DMatrixRMaj uk = CommonOps_DDRM.extract(u, 0, u.numRows, 0, keep);
    for (int i = 0; i < keep; i++) {
      for (int row = 0; row < uk.numRows; row++) {
        uk.set(row, i, uk.get(row, i) * w.get(i, i));
      }
    }
    DMatrixRMaj vk = CommonOps_DDRM.extract(v, 0, v.numRows, 0, keep);
    DMatrixRMaj bOut = new DMatrixRMaj(out, keep);
    CommonOps_DDRM.mult(qrB[0], uk, bOut);
    DMatrixRMaj aOutT = new DMatrixRMaj(in, keep);
    CommonOps_DDRM.mult(qrA[0], vk, aOutT);
    DMatrixRMaj aOut = new DMatrixRMaj(keep, in);
    CommonOps_DDRM.transpose(aOutT, aOut);
    return new Factors(bOut.data, aOut.data, keep, total == 0 ? 1.0 : kept / total, total);
  }

  /** ‖B·A‖²_F = Σ_ij (BᵀB)_ij·(A·Aᵀ)_ij, exact without forming B·A (B rows × k, A k × cols). */
  static double productSquaredNorm(double[] b, double[] a, int rows, int cols, int k) {
    DMatrixRMaj gb = new DMatrixRMaj(k, k);
    CommonOps_DDRM.multTransA(DMatrixRMaj.wrap(rows, k, b), DMatrixRMaj.wrap(rows, k, b), gb);
    DMatrixRMaj ga = new DMatrixRMaj(k, k);
    CommonOps_DDRM.multTransB(DMatrixRMaj.wrap(k, cols, a), DMatrixRMaj.wrap(k, cols, a), ga);
    double s = 0;
    for (int i = 0; i < gb.data.length; i++) {
      s += gb.data[i] * ga.data[i];
    }
    return s;
  }

  /** {Q (m × p), R (p × n)} with p = min(m, n). */
  private static DMatrixRMaj[] thinQr(DMatrixRMaj m) {
    QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
    if (!qr.decompose(m.copy())) {
      throw new IllegalStateException("QR decomposition failed");
    }
    return new DMatrixRMaj[] {qr.getQ(null, true), qr.getR(null, true)};
  }
}
