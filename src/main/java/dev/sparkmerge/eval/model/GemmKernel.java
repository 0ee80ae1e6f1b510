package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatMul} with the Vector API, in the order of {@link MatMulContract}: lanes hold outputs
 * (columns j of y), and each lane's chain runs over t in order, so no lanes are ever added
 * together. w is n × k with k contiguous, so a panel of {@link #NR} vectors' worth of columns is
 * first packed t-major (panel[t][jj] = w[j0 + jj][t], zero past n; the last, partial panel's
 * outputs go through a scratch tile); then a register tile of {@link #MR} rows × NR vectors
 * (12 accumulators: fits AVX2's 16 registers as well as AVX-512's and NEON's 32) broadcasts
 * x[r][t] against the panel's two vectors at t. A panel (NR·L·k floats; 720 KB at L = 16,
 * k = 5632) stays in L2 while every row tile passes over it, so w is read from memory once per
 * call. Rows that do not fill a tile run one at a time. The model's weights are packed once, at
 * load ({@link #packAll}, {@link PackedMatrix}): decoding multiplies one row at a time, and
 * packing a weight costs about as much as a one-row product with it. Loaded only when
 * {@link MatMulSimd#KERNEL} says VECTOR.
 */
final class GemmKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Rows per register tile. */
  static final int MR = 6;
  /** Vectors of columns per panel. */
  static final int NR = 2;
  private static final int PANEL = NR * L;
  /** Terms per packing block: 64 × PANEL floats (8 KB at 512 bits) fit L1 with room. */
  private static final int PACK_TERMS = 64;

  private GemmKernel() {}

  /** Raw n × k weight: each panel is packed just before use, into one reused panel buffer. */
  static void multiplyTransposed(float[] x, int rows, int k, float[] w, int n, float[] y) {
    float[] panel = new float[PANEL * k];
    float[] edge = new float[MR * PANEL];
    for (int j0 = 0; j0 < n; j0 += PANEL) {
      int cols = Math.min(PANEL, n - j0);
      pack(w, k, j0, cols, panel, 0);
      panelProduct(x, rows, k, panel, 0, j0, cols, n, y, edge);
    }
  }

  /** w already in {@link #packAll}'s layout: no packing, so a one-row call reads w once. */
  static void multiplyPacked(float[] x, int rows, int k, float[] packed, int n, float[] y) {
    float[] edge = n % PANEL == 0 ? null : new float[MR * PANEL];
    for (int j0 = 0; j0 < n; j0 += PANEL) {
      panelProduct(x, rows, k, packed, j0 * k, j0, Math.min(PANEL, n - j0), n, y, edge);
    }
  }

  /**
   * The whole n × k matrix as its panels one after another: panel j0 / PANEL starts at j0·k
   * and holds w's rows j0 .. j0 + PANEL − 1 t-major, zero past n (see {@link #pack}).
   */
  static float[] packAll(float[] w, int n, int k) {
    long size = (long) panels(n) * PANEL * k;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("matrix " + n + " × " + k + " too large to pack");
    }
    float[] packed = new float[(int) size];
    for (int j0 = 0; j0 < n; j0 += PANEL) {
      pack(w, k, j0, Math.min(PANEL, n - j0), packed, j0 * k);
    }
    return packed;
  }

  /** Row j of the packed matrix (w[j·k ..) before packing) into dst[o ..): a strided gather. */
  static void readRow(float[] packed, int k, int j, float[] dst, int o) {
    int p = (j - j % PANEL) * k + j % PANEL;
    for (int t = 0; t < k; t++, p += PANEL) {
      dst[o + t] = packed[p];
    }
  }

  /** Floats {@link #packAll} holds for n × k: n rounded up to whole panels. */
  static long packedFloats(int n, int k) {
    return (long) panels(n) * PANEL * k;
  }

  private static int panels(int n) {
    return (n + PANEL - 1) / PANEL;
  }

  /**
   * Columns j0 .. j0 + cols − 1 of y from the panel at panel[po ..). Full panels go straight
   * into y; the last, partial one through the scratch tile edge, then only its columns.
   */
  private static void panelProduct(float[] x, int rows, int k, float[] panel, int po, int j0,
      int cols, int n, float[] y, float[] edge) {
    int fullRows = rows - rows % MR;
    if (cols == PANEL) {
      for (int r = 0; r < fullRows; r += MR) {
        tile(x, r, k, panel, po, y, r * n + j0, n);
      }
      for (int r = fullRows; r < rows; r++) {
        row(x, r, k, panel, po, y, r * n + j0);
      }
      return;
    }
    for (int r = 0; r < rows; r += MR) {
      int m = Math.min(MR, rows - r);
      if (m == MR) {
        tile(x, r, k, panel, po, edge, 0, PANEL);
      } else {
        for (int i = 0; i < m; i++) {
          row(x, r + i, k, panel, po, edge, i * PANEL);
        }
      }
      for (int i = 0; i < m; i++) {
        System.arraycopy(edge, i * PANEL, y, (r + i) * n + j0, cols);
      }
    }
  }

  /**
   * panel[po + t·PANEL + jj] = w[(j0 + jj)·k + t] for jj &lt; cols, 0 for cols ≤ jj &lt; PANEL. In
   * blocks of {@link #PACK_TERMS} terms, so the block's panel rows stay in L1 while every column
   * writes into them: twice as fast as whole-k passes (0.44 vs 0.99 ns per float at k = 2048),
   * and {@link MatMul#multiplyTransposed(float[], int, int, float[], int, float[])} packs its
   * weight on every call.
   */
  private static void pack(float[] w, int k, int j0, int cols, float[] panel, int po) {
    for (int t0 = 0; t0 < k; t0 += PACK_TERMS) {
      int end = Math.min(k, t0 + PACK_TERMS);
      for (int jj = 0; jj < cols; jj++) {
        int wo = (j0 + jj) * k;
        for (int t = t0, p = po + t0 * PANEL + jj; t < end; t++, p += PANEL) {
          panel[p] = w[wo + t];
        }
      }
    }
    if (cols < PANEL) {
      for (int t = 0; t < k; t++) {
        java.util.Arrays.fill(panel, po + t * PANEL + cols, po + (t + 1) * PANEL, 0f);
      }
    }
  }

  /**
   * Rows r .. r + MR − 1 against the panel: 12 chains of L outputs each, stored at out[o ..),
   * rows stride apart. No vector leaves this method (stores are written out here, not in a
   * helper): a vector passed to a call the JIT declines to inline is boxed, and when this
   * method was first compiled during long calls (k = 2048) the JIT did decline, boxing the
   * accumulators on every step: 12 GFLOP/s instead of 130.
   */
  private static void tile(float[] x, int r, int k, float[] panel, int po, float[] out, int o,
      int stride) {
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a30 = a00;
    FloatVector a31 = a00;
    FloatVector a40 = a00;
    FloatVector a41 = a00;
    FloatVector a50 = a00;
    FloatVector a51 = a00;
    int x0 = r * k;
    for (int t = 0, p = po; t < k; t++, p += PANEL) {
      FloatVector u0 = FloatVector.fromArray(S, panel, p);
      FloatVector u1 = FloatVector.fromArray(S, panel, p + L);
      FloatVector b = FloatVector.broadcast(S, x[x0 + t]);
      a00 = b.fma(u0, a00);
      a01 = b.fma(u1, a01);
      b = FloatVector.broadcast(S, x[x0 + k + t]);
      a10 = b.fma(u0, a10);
      a11 = b.fma(u1, a11);
      b = FloatVector.broadcast(S, x[x0 + 2 * k + t]);
      a20 = b.fma(u0, a20);
      a21 = b.fma(u1, a21);
      b = FloatVector.broadcast(S, x[x0 + 3 * k + t]);
      a30 = b.fma(u0, a30);
      a31 = b.fma(u1, a31);
      b = FloatVector.broadcast(S, x[x0 + 4 * k + t]);
      a40 = b.fma(u0, a40);
      a41 = b.fma(u1, a41);
      b = FloatVector.broadcast(S, x[x0 + 5 * k + t]);
      a50 = b.fma(u0, a50);
      a51 = b.fma(u1, a51);
    }
    a00.intoArray(out, o);
    a01.intoArray(out, o + L);
    a10.intoArray(out, o + stride);
    a11.intoArray(out, o + stride + L);
    a20.intoArray(out, o + 2 * stride);
    a21.intoArray(out, o + 2 * stride + L);
    a30.intoArray(out, o + 3 * stride);
    a31.intoArray(out, o + 3 * stride + L);
    a40.intoArray(out, o + 4 * stride);
    a41.intoArray(out, o + 4 * stride + L);
    a50.intoArray(out, o + 5 * stride);
    a51.intoArray(out, o + 5 * stride + L);
  }

  /**
   * One row against the panel (rows that do not fill a tile; rows = 1 when decoding), stored at
   * out[o ..). Two chains of L outputs: latency-bound, but the row count is small wherever this
   * runs.
   */
  private static void row(float[] x, int r, int k, float[] panel, int po, float[] out, int o) {
    FloatVector a0 = FloatVector.zero(S);
    FloatVector a1 = a0;
    int x0 = r * k;
    for (int t = 0, p = po; t < k; t++, p += PANEL) {
      FloatVector b = FloatVector.broadcast(S, x[x0 + t]);
      a0 = b.fma(FloatVector.fromArray(S, panel, p), a0);
      a1 = b.fma(FloatVector.fromArray(S, panel, p + L), a1);
    }
    a0.intoArray(out, o);
    a1.intoArray(out, o + L);
  }
}
