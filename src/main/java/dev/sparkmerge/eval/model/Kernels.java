package dev.sparkmerge.eval.model;

/**
 * The forward pass's element-wise and attention loops, float32 as transformers computes them on
 * CPU. The loops HotSpot does not vectorise by itself (float dot products, exp and tanh) have
 * Vector API versions in {@link VectorKernels}, used when the JVM has {@code
 * jdk.incubator.vector} and the system property {@code sparkmerge.simd} is not {@code false}
 * (the switch the merge kernels use); results agree with the scalar loops to float32 rounding.
 * {@code VectorKernels} is only loaded behind {@link #VECTOR}: without the module it could not be
 * linked.
 */
final class Kernels {
  static final boolean VECTOR =
      !"false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))
          && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private Kernels() {}

  /** Σ a[ao + i] · b[bo + i] for i &lt; n, summed in float32. */
  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    return VECTOR ? VectorKernels.dot(a, ao, b, bo, n) : scalarDot(a, ao, b, bo, n);
  }

  static float scalarDot(float[] a, int ao, float[] b, int bo, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      s += a[ao + i] * b[bo + i];
    }
    return s;
  }

  /**
   * One query's scaled scores against n keys stored transposed: s[j] = (Σ_d q[qo + d] ·
   * kt[ko + d·stride + j]) · scale for j &lt; n, each dot product summed in float32 over d.
   */
  static void scores(float[] q, int qo, float[] kt, int ko, int stride, int dims, int n,
      float scale, float[] s) {
    if (VECTOR) {
      VectorKernels.scores(q, qo, kt, ko, stride, dims, n, scale, s);
    } else {
      scalarScores(q, qo, kt, ko, stride, dims, 0, n, scale, s);
    }
  }

  /** {@link #scores} for keys [from, n). */
  static void scalarScores(float[] q, int qo, float[] kt, int ko, int stride, int dims, int from,
      int n, float scale, float[] s) {
    for (int j = from; j < n; j++) {
      float dot = 0f;
      for (int d = 0; d < dims; d++) {
        dot += q[qo + d] * kt[ko + d * stride + j];
      }
      s[j] = dot * scale;
    }
  }

  /**
   * out[oo + d] = Σ_j p[j] · v[vo + j·dims + d] for d &lt; dims, j &lt; n: the attention output
   * of one query from its probabilities and n consecutive value rows.
   */
  static void weightedRows(float[] p, int n, float[] v, int vo, int dims, float[] out, int oo) {
    if (VECTOR) {
      VectorKernels.weightedRows(p, n, v, vo, dims, out, oo);
    } else {
      scalarWeightedRows(p, n, v, vo, dims, 0, out, oo);
    }
  }

  /** {@link #weightedRows} for dimensions [from, dims). */
  static void scalarWeightedRows(float[] p, int n, float[] v, int vo, int dims, int from,
      float[] out, int oo) {
    for (int d = from; d < dims; d++) {
      float sum = 0f;
      for (int j = 0; j < n; j++) {
        sum += p[j] * v[vo + j * dims + d];
      }
      out[oo + d] = sum;
    }
  }

  /** y[yo + i] += alpha · x[xo + i] for i &lt; n. */
  static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
    for (int i = 0; i < n; i++) {
      y[yo + i] += alpha * x[xo + i];
    }
  }

  /**
   * Softmax of s[0..n) in place, as torch's: exp(s − max) / Σ exp(s − max), the sum in float32.
   */
  static void softmax(float[] s, int n) {
    if (VECTOR) {
      VectorKernels.softmax(s, n);
    } else {
      scalarSoftmax(s, n);
    }
  }

  static void scalarSoftmax(float[] s, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, s[i]);
    }
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      float e = (float) Math.exp(s[i] - max);
      s[i] = e;
      sum += e;
    }
    for (int i = 0; i < n; i++) {
      s[i] /= sum;
    }
  }

  /** gate[i] = SiLU(gate[i]) · up[i] = gate / (1 + exp(−gate)) · up, for i in [from, from+n). */
  static void siluTimes(float[] gate, float[] up, int from, int n) {
    if (VECTOR) {
      VectorKernels.siluTimes(gate, up, from, n);
    } else {
      scalarSiluTimes(gate, up, from, n);
    }
  }

  static void scalarSiluTimes(float[] gate, float[] up, int from, int n) {
    for (int i = from; i < from + n; i++) {
      float g = gate[i];
      gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
    }
  }

  /**
   * a[i] = 0.5 · a · (1 + tanh(√(2/π) · (a + 0.044715 · a³))) (transformers' gelu_new) for i in
   * [from, from+n).
   */
  static void geluTanh(float[] a, int from, int n) {
    if (VECTOR) {
      VectorKernels.geluTanh(a, from, n);
    } else {
      scalarGeluTanh(a, from, n);
    }
  }

  static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
  static final float GELU_CUBIC = 0.044715f;

  static void scalarGeluTanh(float[] a, int from, int n) {
    for (int i = from; i < from + n; i++) {
      float x = a[i];
      float inner = SQRT_2_OVER_PI * (x + GELU_CUBIC * (x * x * x));
      a[i] = 0.5f * x * (1f + (float) Math.tanh(inner));
    }
  }

  /** y[r·n + j] += bias[j] for r &lt; rows, j &lt; n; nothing for a null bias. */
  static void addBias(float[] y, int rows, int n, float[] bias) {
    if (bias == null) {
      return;
    }
    for (int r = 0; r < rows; r++) {
      int o = r * n;
      for (int j = 0; j < n; j++) {
        y[o + j] += bias[j];
      }
    }
  }

  /** x[i] += y[i] for i &lt; n: the residual connection. */
  static void add(float[] x, float[] y, int n) {
    for (int i = 0; i < n; i++) {
      x[i] += y[i];
    }
  }

  /**
   * transformers' RMSNorm of x[xo..xo+n) into out[oo..]: x · rsqrt(mean(x²) + eps) · w. The mean
   * of squares is summed in double (torch's float32 reduction is pairwise, close to exact); the
   * rest is float32.
   */
  static void rmsNorm(float[] x, int xo, float[] w, float eps, float[] out, int oo, int n) {
    double ss = 0;
    for (int i = 0; i < n; i++) {
      float v = x[xo + i];
      ss += v * v;
    }
    float variance = (float) (ss / n);
    float inv = (float) (1.0 / Math.sqrt(variance + eps));
    for (int i = 0; i < n; i++) {
      out[oo + i] = w[i] * (x[xo + i] * inv);
    }
  }

  /**
   * LayerNorm of x[xo..xo+n) into out[oo..]: (x − mean) / √(var + eps) · w + b, with the biased
   * variance; statistics in double, the rest float32.
   */
  static void layerNorm(float[] x, int xo, float[] w, float[] b, float eps, float[] out, int oo,
      int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += x[xo + i];
    }
    double mean = sum / n;
    double sq = 0;
    for (int i = 0; i < n; i++) {
      double d = x[xo + i] - mean;
      sq += d * d;
    }
    float m = (float) mean;
    float rstd = (float) (1.0 / Math.sqrt((float) (sq / n) + eps));
    for (int i = 0; i < n; i++) {
      out[oo + i] = (x[xo + i] - m) * rstd * w[i] + b[i];
    }
  }
}
