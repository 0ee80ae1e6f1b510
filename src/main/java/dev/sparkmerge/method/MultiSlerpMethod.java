package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;
import static dev.sparkmerge.method.ParameterSpec.Scope.PER_MODEL;

import java.util.List;

/**
 * {@code multislerp} (reference §3.4): spherical weighted average of N flattened tensors (or task
 * vectors with a base). In exact arithmetic mergekit's tangent sum τ = Σ w_i (u_i − (u_i·m̂) m̂) is
 * zero, so the result is (Σ w_i n_i)·m̂ with m = Σ w_i X_i / (n_i + eps): only the Gram matrix of
 * the inputs is needed.
 */
public final class MultiSlerpMethod extends DeclaredMethod {
  MultiSlerpMethod() {
    super("multislerp", BaseModelUse.OPTIONAL, ShapeRule.STRICT,
        List.of(
          ParameterSpec.requiredNumber("weight", PER_MODEL, Double.NEGATIVE_INFINITY,
              Double.POSITIVE_INFINITY, "the model's weight"),
          ParameterSpec.flag("normalize_weights", true, "divide weights by their (signed) sum"),
          ParameterSpec.number("eps", GLOBAL, 1e-8, 0, Double.POSITIVE_INFINITY,
              "numerical floor for norms")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    if (spec.modelCount == 1) {
      return new CopyKernel(0);
    }
    double[] w = v.numbers("weight");
    if (v.flag("normalize_weights")) {
      double sum = 0;
      for (double x : w) {
        sum += x;
      }
      if (Math.abs(sum) < 1e-8) {
        throw new MergeException("merge method 'multislerp': the weights for tensor " + spec.name
            + " sum to " + sum + ", so normalize_weights would divide by zero. Change the weights "
            + "or set normalize_weights: false.");
      }
      for (int i = 0; i < w.length; i++) {
        w[i] /= sum;
      }
    }
    return new MultiSlerpKernel(spec.name, w, v.number("eps"), spec.hasBase);
  }

  static final class MultiSlerpKernel implements TensorKernel, VectorSource {
    private static final long serialVersionUID = 1L;
    private final String tensor;
    private final double[] weights;
    private final double eps;
    private final boolean taskVectors;

    MultiSlerpKernel(String tensor, double[] weights, double eps, boolean taskVectors) {
      this.tensor = tensor;
      this.weights = weights;
      this.eps = eps;
      this.taskVectors = taskVectors;
    }

    @Override
    public Statistics initialStatistics() {
      return new GramStatistics(this, Grouping.whole());
    }

    @Override
    public int vectorCount() {
      return weights.length;
    }

    @Override
    public void vectors(Chunk c, float[][] out) {
      for (int i = 0; i < weights.length; i++) {
        float[] x = c.models[i];
        for (int j = 0; j < c.length; j++) {
          out[i][j] = taskVectors ? x[j] - c.base[j] : x[j];
        }
      }
    }

    /** Per-input coefficients k_i with y = Σ k_i X_i (+ b). */
    double[] coefficients(GramStatistics g) {
      int n = weights.length;
      double[] norms = new double[n];
      double[] u = new double[n];
      double scale = 0;
      for (int i = 0; i < n; i++) {
        norms[i] = Math.sqrt(g.dot(0, i, i));
        u[i] = weights[i] / (norms[i] + eps);
        scale += weights[i] * norms[i];
      }
      double mm = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          mm += u[i] * u[j] * g.dot(0, i, j);
        }
      }
      double mNorm = Math.sqrt(Math.max(mm, 0));
      if (mNorm < eps) {
        if (n == 2) {
          return new double[] {weights[0], weights[1]}; // antipodal pair: plain weighted sum
        }
        throw new MergeException("merge method 'multislerp': the inputs of tensor " + tensor
            + " cancel out (their weighted mean direction has norm " + mNorm + "), so no "
            + "spherical average exists. Change the weights or the models.");
      }
      double[] k = new double[n];
      for (int i = 0; i < n; i++) {
        k[i] = scale * u[i] / mNorm;
      }
      return k;
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      double[] k = coefficients((GramStatistics) stats);
      for (int j = 0; j < c.length; j++) {
        double y = taskVectors ? c.base[j] : 0;
        double s = 0;
        for (int i = 0; i < k.length; i++) {
          float x = c.models[i][j];
          s += k[i] * (taskVectors ? x - c.base[j] : x);
        }
        out[j] = (float) (y + s);
      }
    }
  }
}
