package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link Kernels}' loops that HotSpot leaves scalar: the attention sums
 * (kept in register accumulators), exp ({@link Exp32} lane-wise) and the softmax sum ({@link
 * OrderedSum} in vector partials). Each gives the scalar loop's bits at any width; tails run the
 * scalar code. Load only when {@link Kernels#VECTOR}.
 */
final class VectorKernels {
  /** The CPU's width up to 512 bits: {@link #sum} needs L to divide 16. */
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() <= 16
      ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_512;
  private static final int L = F.length();

  private VectorKernels() {}

  /**
   * Scores of 4·L keys at a time, one accumulator vector per L keys kept in registers through
   * all head dimensions: each step is a broadcast of q[d] and four loads and FMAs.
   */
  static void scores(float[] q, int qo, float[] kt, int ko, int stride, int dims, int n,
      float scale, float[] s) {
    int j = 0;
    for (; j + 4 * L <= n; j += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int d = 0, k = ko + j; d < dims; d++, k += stride) {
        FloatVector qd = FloatVector.broadcast(F, q[qo + d]);
        a0 = FloatVector.fromArray(F, kt, k).fma(qd, a0);
        a1 = FloatVector.fromArray(F, kt, k + L).fma(qd, a1);
        a2 = FloatVector.fromArray(F, kt, k + 2 * L).fma(qd, a2);
        a3 = FloatVector.fromArray(F, kt, k + 3 * L).fma(qd, a3);
      }
      a0.mul(scale).intoArray(s, j);
      a1.mul(scale).intoArray(s, j + L);
      a2.mul(scale).intoArray(s, j + 2 * L);
      a3.mul(scale).intoArray(s, j + 3 * L);
    }
    for (; j + L <= n; j += L) {
      FloatVector a = FloatVector.zero(F);
      for (int d = 0, k = ko + j; d < dims; d++, k += stride) {
        a = FloatVector.fromArray(F, kt, k).fma(FloatVector.broadcast(F, q[qo + d]), a);
      }
      a.mul(scale).intoArray(s, j);
    }
    Kernels.scalarScores(q, qo, kt, ko, stride, dims, j, n, scale, s);
  }

  /**
   * {@link Attention#TILE} query rows (q rows qStride apart) scored against the same n keys:
   * each key load feeds four rows' accumulators (4 rows × 4·L keys in registers).
   */
  static void scoreTile(float[] q, int qo, int qStride, float[] kt, int ko, int stride,
      int dims, int n, float scale, float[][] s) {
    int q1 = qo + qStride;
    int q2 = q1 + qStride;
    int q3 = q2 + qStride;
    int j = 0;
    for (; j + 2 * L <= n; j += 2 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      FloatVector b0 = a0;
      FloatVector b1 = a0;
      FloatVector c0 = a0;
      FloatVector c1 = a0;
      FloatVector d0 = a0;
      FloatVector d1 = a0;
      for (int d = 0, k = ko + j; d < dims; d++, k += stride) {
        FloatVector k0 = FloatVector.fromArray(F, kt, k);
        FloatVector k1 = FloatVector.fromArray(F, kt, k + L);
        FloatVector x = FloatVector.broadcast(F, q[qo + d]);
        a0 = k0.fma(x, a0);
        a1 = k1.fma(x, a1);
        x = FloatVector.broadcast(F, q[q1 + d]);
        b0 = k0.fma(x, b0);
        b1 = k1.fma(x, b1);
        x = FloatVector.broadcast(F, q[q2 + d]);
        c0 = k0.fma(x, c0);
        c1 = k1.fma(x, c1);
        x = FloatVector.broadcast(F, q[q3 + d]);
        d0 = k0.fma(x, d0);
        d1 = k1.fma(x, d1);
      }
      a0.mul(scale).intoArray(s[0], j);
      a1.mul(scale).intoArray(s[0], j + L);
      b0.mul(scale).intoArray(s[1], j);
      b1.mul(scale).intoArray(s[1], j + L);
      c0.mul(scale).intoArray(s[2], j);
      c1.mul(scale).intoArray(s[2], j + L);
      d0.mul(scale).intoArray(s[3], j);
      d1.mul(scale).intoArray(s[3], j + L);
    }
    for (; j + L <= n; j += L) {
      FloatVector a = FloatVector.zero(F);
      FloatVector b = a;
      FloatVector c = a;
      FloatVector e = a;
      for (int d = 0, k = ko + j; d < dims; d++, k += stride) {
        FloatVector k0 = FloatVector.fromArray(F, kt, k);
        a = k0.fma(FloatVector.broadcast(F, q[qo + d]), a);
        b = k0.fma(FloatVector.broadcast(F, q[q1 + d]), b);
        c = k0.fma(FloatVector.broadcast(F, q[q2 + d]), c);
        e = k0.fma(FloatVector.broadcast(F, q[q3 + d]), e);
      }
      a.mul(scale).intoArray(s[0], j);
      b.mul(scale).intoArray(s[1], j);
      c.mul(scale).intoArray(s[2], j);
      e.mul(scale).intoArray(s[3], j);
    }
    for (int i = 0; i < Attention.TILE; i++) {
      Kernels.scalarScores(q, qo + i * qStride, kt, ko, stride, dims, j, n, scale, s[i]);
    }
  }

  /**
   * {@link Attention#TILE} rows' weighted sums over the same n value rows (out rows outStride
   * apart): each value load feeds four rows' accumulators (4 rows × 2·L dimensions).
   */
  static void weightTile(float[][] p, int n, float[] v, int vo, int dims, float[] out, int oo,
      int outStride) {
    float[] p0 = p[0];
    float[] p1 = p[1];
    float[] p2 = p[2];
    float[] p3 = p[3];
    int d = 0;
    for (; d + 2 * L <= dims; d += 2 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      FloatVector b0 = a0;
      FloatVector b1 = a0;
      FloatVector c0 = a0;
      FloatVector c1 = a0;
      FloatVector d0 = a0;
      FloatVector d1 = a0;
      for (int j = 0, k = vo + d; j < n; j++, k += dims) {
        FloatVector v0 = FloatVector.fromArray(F, v, k);
        FloatVector v1 = FloatVector.fromArray(F, v, k + L);
        FloatVector x = FloatVector.broadcast(F, p0[j]);
        a0 = v0.fma(x, a0);
        a1 = v1.fma(x, a1);
        x = FloatVector.broadcast(F, p1[j]);
        b0 = v0.fma(x, b0);
        b1 = v1.fma(x, b1);
        x = FloatVector.broadcast(F, p2[j]);
        c0 = v0.fma(x, c0);
        c1 = v1.fma(x, c1);
        x = FloatVector.broadcast(F, p3[j]);
        d0 = v0.fma(x, d0);
        d1 = v1.fma(x, d1);
      }
      int o = oo + d;
      a0.intoArray(out, o);
      a1.intoArray(out, o + L);
      o += outStride;
      b0.intoArray(out, o);
      b1.intoArray(out, o + L);
      o += outStride;
      c0.intoArray(out, o);
      c1.intoArray(out, o + L);
      o += outStride;
      d0.intoArray(out, o);
      d1.intoArray(out, o + L);
    }
    for (int i = 0; i < Attention.TILE; i++) {
      weightedRows(p[i], n, v, vo, dims, d, out, oo + i * outStride);
    }
  }

  /** Output dimensions 4·L at a time, accumulators in registers through all n value rows. */
  static void weightedRows(float[] p, int n, float[] v, int vo, int dims, float[] out, int oo) {
    weightedRows(p, n, v, vo, dims, 0, out, oo);
  }

  /** {@link #weightedRows} for dimensions [from, dims). */
  static void weightedRows(float[] p, int n, float[] v, int vo, int dims, int from, float[] out,
      int oo) {
    int d = from;
    for (; d + 4 * L <= dims; d += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      FloatVector a2 = a0;
      FloatVector a3 = a0;
      for (int j = 0, k = vo + d; j < n; j++, k += dims) {
        FloatVector pj = FloatVector.broadcast(F, p[j]);
        a0 = FloatVector.fromArray(F, v, k).fma(pj, a0);
        a1 = FloatVector.fromArray(F, v, k + L).fma(pj, a1);
        a2 = FloatVector.fromArray(F, v, k + 2 * L).fma(pj, a2);
        a3 = FloatVector.fromArray(F, v, k + 3 * L).fma(pj, a3);
      }
      a0.intoArray(out, oo + d);
      a1.intoArray(out, oo + d + L);
      a2.intoArray(out, oo + d + 2 * L);
      a3.intoArray(out, oo + d + 3 * L);
    }
    for (; d + L <= dims; d += L) {
      FloatVector a = FloatVector.zero(F);
      for (int j = 0, k = vo + d; j < n; j++, k += dims) {
        a = FloatVector.fromArray(F, v, k).fma(FloatVector.broadcast(F, p[j]), a);
      }
      a.intoArray(out, oo + d);
    }
    Kernels.scalarWeightedRows(p, n, v, vo, dims, d, out, oo);
  }

  /**
   * {@link Kernels#exp}: {@link Exp32}'s steps lane-wise, so each lane has the scalar function's
   * bits. The polynomial is written out in this loop rather than in a helper taking a vector:
   * a vector passed to a call the JIT does not inline is boxed (see {@link GemmKernel}).
   */
  static void expInto(float[] src, int so, float[] dst, int dOff, int n, float scale,
      float shift) {
    FloatVector negLn2Hi = FloatVector.broadcast(F, -Exp32.LN2_HI);
    FloatVector negLn2Lo = FloatVector.broadcast(F, -Exp32.LN2_LO);
    FloatVector c2 = FloatVector.broadcast(F, Exp32.C2);
    FloatVector c3 = FloatVector.broadcast(F, Exp32.C3);
    FloatVector c4 = FloatVector.broadcast(F, Exp32.C4);
    FloatVector c5 = FloatVector.broadcast(F, Exp32.C5);
    FloatVector c6 = FloatVector.broadcast(F, Exp32.C6);
    FloatVector c7 = FloatVector.broadcast(F, Exp32.C7);
    FloatVector one = FloatVector.broadcast(F, 1f);
    int i = 0;
    for (int end = F.loopBound(n); i < end; i += L) {
      FloatVector x = FloatVector.fromArray(F, src, so + i).mul(scale).sub(shift);
      FloatVector t = x.mul(Exp32.LOG2E).add(Exp32.ROUND);
      FloatVector m = t.sub(Exp32.ROUND);
      FloatVector r = m.fma(negLn2Hi, x);
      r = m.fma(negLn2Lo, r);
      FloatVector p = c7.fma(r, c6);
      p = p.fma(r, c5);
      p = p.fma(r, c4);
      p = p.fma(r, c3);
      p = p.fma(r, c2);
      p = p.fma(r, one);
      p = p.fma(r, one);
      FloatVector pow2 = t.viewAsIntegralLanes().sub(Exp32.EXPONENT_OFFSET)
          .lanewise(VectorOperators.LSHL, 23).viewAsFloatingLanes();
      p.mul(pow2)
          .blend(0f, x.lt(Exp32.MIN_INPUT))
          .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, Exp32.MAX_INPUT))
          .intoArray(dst, dOff + i);
    }
    Kernels.scalarExp(src, so + i, dst, dOff + i, n - i, scale, shift);
  }

  /** {@link OrderedSum#of} with 16 / L vectors of partial sums (L divides 16). */
  static float sum(float[] a, int from, int n) {
    float[] p = new float[OrderedSum.PARTIALS];
    int blocks = n - n % OrderedSum.PARTIALS;
    for (int b = 0; b < OrderedSum.PARTIALS; b += L) {
      FloatVector acc = FloatVector.zero(F);
      for (int i = b; i < blocks; i += OrderedSum.PARTIALS) {
        acc = acc.add(FloatVector.fromArray(F, a, from + i));
      }
      acc.intoArray(p, b);
    }
    OrderedSum.addTo(p, a, from, blocks, n);
    return OrderedSum.fold(p);
  }
}
