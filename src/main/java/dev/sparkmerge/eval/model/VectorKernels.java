package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of {@link Kernels}' loops that HotSpot leaves scalar: the float dot product
 * (a reduction) and the exp / tanh of softmax, SiLU and GELU (the JDK's vector math library).
 * Tails run the scalar code. Load only when {@link Kernels#VECTOR}.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  private VectorKernels() {}

  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += L) {
      acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
    }
    float s = acc.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      s += a[ao + i] * b[bo + i];
    }
    return s;
  }

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

  /** Output dimensions 4·L at a time, accumulators in registers through all n value rows. */
  static void weightedRows(float[] p, int n, float[] v, int vo, int dims, float[] out, int oo) {
    int d = 0;
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

  static void softmax(float[] s, int n) {
    int bound = F.loopBound(n);
    FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < bound; i += L) {
      mv = mv.max(FloatVector.fromArray(F, s, i));
    }
    float max = mv.reduceLanes(VectorOperators.MAX);
    for (; i < n; i++) {
      max = Math.max(max, s[i]);
    }
    FloatVector sv = FloatVector.zero(F);
    for (i = 0; i < bound; i += L) {
      FloatVector e = FloatVector.fromArray(F, s, i).sub(max).lanewise(VectorOperators.EXP);
      e.intoArray(s, i);
      sv = sv.add(e);
    }
    float sum = sv.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      float e = (float) Math.exp(s[i] - max);
      s[i] = e;
      sum += e;
    }
    for (i = 0; i < bound; i += L) {
      FloatVector.fromArray(F, s, i).div(sum).intoArray(s, i);
    }
    for (; i < n; i++) {
      s[i] /= sum;
    }
  }

  static void siluTimes(float[] gate, float[] up, int from, int n) {
    int i = from;
    for (int end = from + F.loopBound(n); i < end; i += L) {
      FloatVector g = FloatVector.fromArray(F, gate, i);
      FloatVector e = g.neg().lanewise(VectorOperators.EXP).add(1f);
      g.div(e).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
    }
    Kernels.scalarSiluTimes(gate, up, i, from + n - i);
  }

  static void geluTanh(float[] a, int from, int n) {
    int i = from;
    for (int end = from + F.loopBound(n); i < end; i += L) {
      FloatVector x = FloatVector.fromArray(F, a, i);
      FloatVector inner = x.mul(x).mul(x).mul(Kernels.GELU_CUBIC).add(x)
          .mul(Kernels.SQRT_2_OVER_PI);
      x.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(a, i);
    }
    Kernels.scalarGeluTanh(a, i, from + n - i);
  }
}
