package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatMul} on 512-bit vectors: one vector holds an output's 16 chains
 * ({@link MatMulContract}). Both operands are read along k, where they are contiguous, so
 * nothing is packed. A 4 × 4 register tile (16 accumulators, 4 x and 1 w vector live: 21 of the
 * 32 registers) loads 8 vectors per 16 fused multiply-adds; its 16 chain vectors are summed by a
 * vector tree in the contract's order. Rows and columns past the edge repeat the last valid one,
 * so one tile shape serves every rows and n (rows = 1, decoding, included); repeated results are
 * not stored. Loaded only when {@link MatMulSimd#KERNEL} is WIDE.
 */
final class GemmWide {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  private static final int L = 16;
  /** Lane i ← lane i ^ h and "lane has bit h", for the tree's rounds h = 8, 4, 2, 1. */
  private static final VectorShuffle<Float> X8 = xor(8);
  private static final VectorShuffle<Float> X4 = xor(4);
  private static final VectorShuffle<Float> X2 = xor(2);
  private static final VectorShuffle<Float> X1 = xor(1);
  private static final VectorMask<Float> M8 = bit(8);
  private static final VectorMask<Float> M4 = bit(4);
  private static final VectorMask<Float> M2 = bit(2);
  private static final VectorMask<Float> M1 = bit(1);
  /** The tree leaves input v's sum in lane bitreverse4(v); this puts it back in lane v. */
  private static final VectorShuffle<Float> UNREVERSE =
      VectorShuffle.fromOp(S, i -> Integer.reverse(i) >>> 28);

  private GemmWide() {}

  static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    int kMain = MatMulContract.mainLength(k);
    int block = GemmBlocking.weightRows(k, 4);
    float[] out = new float[L];
    for (int j0 = 0; j0 < n; j0 += block) {
      int j1 = Math.min(n, j0 + block);
      for (int r = 0; r < rows; r += 4) {
        int last = rows - 1;
        int x0 = r * k;
        int x1 = Math.min(r + 1, last) * k;
        int x2 = Math.min(r + 2, last) * k;
        int x3 = Math.min(r + 3, last) * k;
        for (int j = j0; j < j1; j += 4) {
          int wl = n - 1;
          tile(x, x0, x1, x2, x3, w, j * k, Math.min(j + 1, wl) * k, Math.min(j + 2, wl) * k,
              Math.min(j + 3, wl) * k, kMain, out);
          GemmBlocking.store(out, 4, x, r, rows, k, w, j, n, kMain, y);
        }
      }
    }
  }

  /** out[4·a + b] = the tree sum of row x_a · row w_b over the first kMain terms. */
  private static void tile(float[] x, int x0, int x1, int x2, int x3, float[] w, int w0, int w1,
      int w2, int w3, int kMain, float[] out) {
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a23 = a00;
    FloatVector a30 = a00;
    FloatVector a31 = a00;
    FloatVector a32 = a00;
    FloatVector a33 = a00;
    for (int t = 0; t < kMain; t += L) {
      FloatVector v0 = FloatVector.fromArray(S, x, x0 + t);
      FloatVector v1 = FloatVector.fromArray(S, x, x1 + t);
      FloatVector v2 = FloatVector.fromArray(S, x, x2 + t);
      FloatVector v3 = FloatVector.fromArray(S, x, x3 + t);
      FloatVector u = FloatVector.fromArray(S, w, w0 + t);
      a00 = v0.fma(u, a00);
      a10 = v1.fma(u, a10);
      a20 = v2.fma(u, a20);
      a30 = v3.fma(u, a30);
      u = FloatVector.fromArray(S, w, w1 + t);
      a01 = v0.fma(u, a01);
      a11 = v1.fma(u, a11);
      a21 = v2.fma(u, a21);
      a31 = v3.fma(u, a31);
      u = FloatVector.fromArray(S, w, w2 + t);
      a02 = v0.fma(u, a02);
      a12 = v1.fma(u, a12);
      a22 = v2.fma(u, a22);
      a32 = v3.fma(u, a32);
      u = FloatVector.fromArray(S, w, w3 + t);
      a03 = v0.fma(u, a03);
      a13 = v1.fma(u, a13);
      a23 = v2.fma(u, a23);
      a33 = v3.fma(u, a33);
    }
    // Input v = 4a + b pairs with v ^ 1 in round 8, and so on: the inputs' order in the calls.
    FloatVector s = pair(
        pair(pair(pair(a00, a01, M8, X8), pair(a02, a03, M8, X8), M4, X4),
            pair(pair(a10, a11, M8, X8), pair(a12, a13, M8, X8), M4, X4), M2, X2),
        pair(pair(pair(a20, a21, M8, X8), pair(a22, a23, M8, X8), M4, X4),
            pair(pair(a30, a31, M8, X8), pair(a32, a33, M8, X8), M4, X4), M2, X2),
        M1, X1);
    s.rearrange(UNREVERSE).intoArray(out, 0);
  }

  /**
   * One round of the tree for two inputs: lanes without bit h get a[i] + a[i ^ h], lanes with it
   * b[i] + b[i ^ h] — the contract's c[i] += c[i + h] for both (IEEE addition commutes).
   */
  private static FloatVector pair(FloatVector a, FloatVector b, VectorMask<Float> bitH,
      VectorShuffle<Float> xorH) {
    return a.blend(b, bitH).add(b.blend(a, bitH).rearrange(xorH));
  }

  private static VectorShuffle<Float> xor(int h) {
    return VectorShuffle.fromOp(S, i -> i ^ h);
  }

  private static VectorMask<Float> bit(int h) {
    boolean[] lanes = new boolean[L];
    for (int i = 0; i < L; i++) {
      lanes[i] = (i & h) != 0;
    }
    return VectorMask.fromArray(S, lanes, 0);
  }
}
