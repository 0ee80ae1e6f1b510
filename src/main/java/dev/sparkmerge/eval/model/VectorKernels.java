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
