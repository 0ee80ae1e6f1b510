package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatMul} on 256-bit (AVX2) or 128-bit (NEON, SSE) vectors: an output's 16 chains
 * ({@link MatMulContract}) are G = 16 / lanes vectors. A 2 × 2 register tile of outputs holds
 * 4·G accumulators (8 of AVX2's 16 registers, 16 of NEON's 32); like {@link GemmWide}, edge rows
 * and columns repeat the last valid one. The groups of a step are written out with ifs on the
 * constant G, which the JIT folds away. Loaded only when {@link MatMulSimd#KERNEL} is NARROW.
 */
final class GemmNarrow {
  /** The CPU's vectors, at most 256 bits (so tests can run this kernel on AVX-512 machines). */
  private static final VectorSpecies<Float> S =
      FloatVector.SPECIES_PREFERRED.length() < MatMulContract.CHAINS
          ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
  private static final int L = S.length();
  private static final int G = MatMulContract.CHAINS / L;

  private GemmNarrow() {}

  static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    if (G != 2 && G != 4) {
      throw new IllegalStateException("GemmNarrow needs 4 or 8 float lanes, not " + L);
    }
    int kMain = MatMulContract.mainLength(k);
    int block = GemmBlocking.weightRows(k, 2);
    float[] lanes = new float[4 * L];
    float[] out = new float[4];
    for (int j0 = 0; j0 < n; j0 += block) {
      int j1 = Math.min(n, j0 + block);
      for (int r = 0; r < rows; r += 2) {
        int x0 = r * k;
        int x1 = Math.min(r + 1, rows - 1) * k;
        for (int j = j0; j < j1; j += 2) {
          tile(x, x0, x1, w, j * k, Math.min(j + 1, n - 1) * k, kMain, lanes);
          for (int v = 0; v < 4; v++) {
            out[v] = laneTree(lanes, v * L);
          }
          GemmBlocking.store(out, 2, x, r, rows, k, w, j, n, kMain, y);
        }
      }
    }
  }

  /**
   * lanes[L·(2a + b) ..) = the partial sums of row x_a · row w_b after the contract's tree rounds
   * that add whole vectors (h ≥ L); the rounds within a vector are left to {@link #laneTree}.
   */
  private static void tile(float[] x, int x0, int x1, float[] w, int w0, int w1, int kMain,
      float[] lanes) {
    FloatVector z = FloatVector.zero(S);
    FloatVector p00 = z, p01 = z, p10 = z, p11 = z; // chains 0 .. L-1
    FloatVector q00 = z, q01 = z, q10 = z, q11 = z; // chains L .. 2L-1
    FloatVector r00 = z, r01 = z, r10 = z, r11 = z; // chains 2L .. 3L-1 (G = 4 only)
    FloatVector s00 = z, s01 = z, s10 = z, s11 = z; // chains 3L .. 4L-1 (G = 4 only)
    for (int t = 0; t < kMain; t += MatMulContract.CHAINS) {
      FloatVector v0 = FloatVector.fromArray(S, x, x0 + t);
      FloatVector v1 = FloatVector.fromArray(S, x, x1 + t);
      FloatVector u0 = FloatVector.fromArray(S, w, w0 + t);
      FloatVector u1 = FloatVector.fromArray(S, w, w1 + t);
      p00 = v0.fma(u0, p00);
      p10 = v1.fma(u0, p10);
      p01 = v0.fma(u1, p01);
      p11 = v1.fma(u1, p11);
      v0 = FloatVector.fromArray(S, x, x0 + t + L);
      v1 = FloatVector.fromArray(S, x, x1 + t + L);
      u0 = FloatVector.fromArray(S, w, w0 + t + L);
      u1 = FloatVector.fromArray(S, w, w1 + t + L);
      q00 = v0.fma(u0, q00);
      q10 = v1.fma(u0, q10);
      q01 = v0.fma(u1, q01);
      q11 = v1.fma(u1, q11);
      if (G == 4) {
        v0 = FloatVector.fromArray(S, x, x0 + t + 2 * L);
        v1 = FloatVector.fromArray(S, x, x1 + t + 2 * L);
        u0 = FloatVector.fromArray(S, w, w0 + t + 2 * L);
        u1 = FloatVector.fromArray(S, w, w1 + t + 2 * L);
        r00 = v0.fma(u0, r00);
        r10 = v1.fma(u0, r10);
        r01 = v0.fma(u1, r01);
        r11 = v1.fma(u1, r11);
        v0 = FloatVector.fromArray(S, x, x0 + t + 3 * L);
        v1 = FloatVector.fromArray(S, x, x1 + t + 3 * L);
        u0 = FloatVector.fromArray(S, w, w0 + t + 3 * L);
        u1 = FloatVector.fromArray(S, w, w1 + t + 3 * L);
        s00 = v0.fma(u0, s00);
        s10 = v1.fma(u0, s10);
        s01 = v0.fma(u1, s01);
        s11 = v1.fma(u1, s11);
      }
    }
    if (G == 4) {
      // Round h = 8 pairs chain c with c + 8 (groups p+r, q+s); round h = 4 adds the two.
      p00 = p00.add(r00).add(q00.add(s00));
      p01 = p01.add(r01).add(q01.add(s01));
      p10 = p10.add(r10).add(q10.add(s10));
      p11 = p11.add(r11).add(q11.add(s11));
    } else {
      // Round h = 8 = L: chain c with c + 8 is group p with group q.
      p00 = p00.add(q00);
      p01 = p01.add(q01);
      p10 = p10.add(q10);
      p11 = p11.add(q11);
    }
    p00.intoArray(lanes, 0);
    p01.intoArray(lanes, L);
    p10.intoArray(lanes, 2 * L);
    p11.intoArray(lanes, 3 * L);
  }

  /** The contract's remaining rounds h = L/2 .. 1 over lanes[from .. from + L). */
  private static float laneTree(float[] lanes, int from) {
    for (int h = L / 2; h >= 1; h >>= 1) {
      for (int i = 0; i < h; i++) {
        lanes[from + i] += lanes[from + i + h];
      }
    }
    return lanes[from];
  }
}
