package dev.sparkmerge.eval.model;

/**
 * The forward pass's element-wise and attention loops, float32 as transformers computes them on
 * CPU. The loops HotSpot does not vectorise by itself (attention sums, exp, sums) have Vector
 * API versions in {@link VectorKernels}, used when the JVM has {@code jdk.incubator.vector} and
 * the system property {@code sparkmerge.simd} is not {@code false} (the switch the merge kernels
 * use). {@code VectorKernels} is only loaded behind {@link #VECTOR}: without the module it could
 * not be linked.
 *
 * <p>Every kernel gives the same bits with and without the Vector API, at any vector width and
 * JIT tier (the determinism contract: scores are byte-identical on any cluster): exp is {@link
 * Exp32} (not {@code Math.exp} or the Vector API's EXP), sums across elements are {@link
 * OrderedSum}s (never {@code reduceLanes}), and products are fused multiply-adds in the scalar
 * loops' order.
 *
 * <p>The attention sums (scores and weighted values) are fused multiply-adds in a fixed order,
 * in the vector lanes and the scalar loops alike, so a query's output has the same bits however
 * rows are tiled or tails fall: appending a sequence in pieces gives what one append gives.
 */
final class Kernels {
  static final boolean VECTOR =
      !"false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))
          && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private Kernels() {}

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
        dot = Math.fma(q[qo + d], kt[ko + d * stride + j], dot);
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
        sum = Math.fma(p[j], v[vo + j * dims + d], sum);
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
   * Softmax of s[from..from+n) in place, as torch's: exp(s − max) / Σ exp(s − max), in float32
   * with {@link Exp32} and an {@link OrderedSum}, so the bits do not depend on the vector width
   * or the JIT tier.
   */
  static void softmax(float[] s, int from, int n) {
    int end = from + n;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = from; i < end; i++) {
      max = Math.max(max, s[i]); // exact in any order
    }
    exp(s, from, s, from, n, 1f, max);
    float sum = VECTOR ? VectorKernels.sum(s, from, n) : OrderedSum.of(s, from, n);
    for (int i = from; i < end; i++) {
      s[i] /= sum;
    }
  }

  /**
   * dst[dOff + i] = {@link Exp32#exp}(src[so + i] · scale − shift) for i &lt; n (in place when
   * src and dst are the same range).
   */
  static void exp(float[] src, int so, float[] dst, int dOff, int n, float scale, float shift) {
    if (VECTOR) {
      VectorKernels.expInto(src, so, dst, dOff, n, scale, shift);
    } else {
      scalarExp(src, so, dst, dOff, n, scale, shift);
    }
  }

  static void scalarExp(float[] src, int so, float[] dst, int dOff, int n, float scale,
      float shift) {
    for (int i = 0; i < n; i++) {
      dst[dOff + i] = Exp32.exp(src[so + i] * scale - shift);
    }
  }

  /**
   * gate[i] = SiLU(gate[i]) · up[i] = gate / (1 + exp(−gate)) · up, for i in [from, from+n);
   * scratch holds n floats.
   */
  static void siluTimes(float[] gate, float[] up, int from, int n, float[] scratch) {
    exp(gate, from, scratch, 0, n, -1f, 0f);
    for (int i = 0; i < n; i++) {
      gate[from + i] = gate[from + i] / (1f + scratch[i]) * up[from + i];
    }
  }

  static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
  static final float GELU_CUBIC = 0.044715f;

  /**
   * a[i] = 0.5 · a · (1 + tanh(√(2/π) · (a + 0.044715 · a³))) (transformers' gelu_new) for i in
   * [from, from+n), computed as a / (1 + exp(−2·inner)) (the same function: 0.5·(1 + tanh y) =
   * sigmoid(2y)) so that it needs only {@link Exp32}; scratch holds n floats.
   */
  static void geluTanh(float[] a, int from, int n, float[] scratch) {
    for (int i = 0; i < n; i++) {
      float x = a[from + i];
      scratch[i] = SQRT_2_OVER_PI * (x + GELU_CUBIC * (x * x * x));
    }
    exp(scratch, 0, scratch, 0, n, -2f, 0f);
    for (int i = 0; i < n; i++) {
      a[from + i] = a[from + i] / (1f + scratch[i]);
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
