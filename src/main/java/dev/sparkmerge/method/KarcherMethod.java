package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;

import java.util.List;

/**
 * {@code karcher} (reference §3.5): the Riemannian (Karcher) mean of the inputs' directions on the
 * unit sphere, scaled by their mean norm, with equal weights. The iterate always lies in the span of
 * the inputs, so the whole iteration runs on coefficients against the exact Gram matrix after one
 * statistics pass, and the merge pass is a fixed linear combination.
 */
public final class KarcherMethod extends DeclaredMethod {
  KarcherMethod() {
    // STRICT: mergekit's cropping call has no effect for karcher.
    super("karcher", BaseModelUse.ORDINARY_INPUT, ShapeRule.STRICT,
        List.of(
          ParameterSpec.integer("max_iter", GLOBAL, 10, 0, 1_000_000, "iterations at most"),
          ParameterSpec.number("tol", GLOBAL, 1e-5, 0, Double.POSITIVE_INFINITY,
              "convergence tolerance")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.hasBase) {
      throw new IllegalArgumentException("karcher takes the base as an ordinary input");
    }
    if (spec.modelCount == 0) {
      throw Methods.arity(name(), spec, "needs at least one model");
    }
    return new KarcherKernel(spec.modelCount, (int) v.number("max_iter"), v.number("tol"));
  }

  static final class KarcherKernel implements TensorKernel, VectorSource {
    private static final long serialVersionUID = 1L;
    private final int n;
    private final int maxIter;
    private final double tol;

    KarcherKernel(int n, int maxIter, double tol) {
      this.n = n;
      this.maxIter = maxIter;
      this.tol = tol;
    }

    @Override
    public Statistics initialStatistics() {
      return new GramStatistics(this, Grouping.whole());
    }

    @Override
    public int vectorCount() {
      return n;
    }

    @Override
    public void vectors(Chunk c, float[][] out) {
      for (int i = 0; i < n; i++) {
        System.arraycopy(c.models[i], 0, out[i], 0, c.length);
      }
    }

    private double inner(GramStatistics g, double[] a, double[] b) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        if (a[i] == 0) {
          continue;
        }
        for (int j = 0; j < n; j++) {
          s += a[i] * b[j] * g.dot(0, i, j);
        }
      }
      return s;
    }

    /** Coefficients c with y = Σ c_i x_i. */
    double[] coefficients(GramStatistics g) {
      double[] norms = new double[n];
      double alphaValid = 0;
      double scale = 0;
      int firstValid = -1;
      for (int i = 0; i < n; i++) {
        norms[i] = Math.sqrt(g.dot(0, i, i));
        scale += norms[i] / n;
        if (norms[i] > tol) {
          alphaValid += 1.0 / n;
          if (firstValid < 0) {
            firstValid = i;
          }
        }
      }
      double[] u = new double[n];
      if (firstValid < 0) {
        return u; // every input (nearly) zero: mergekit returns zeros
      }
      double[] alpha = new double[n];
      for (int i = 0; i < n; i++) {
        if (norms[i] > tol) {
          alpha[i] = (1.0 / n) / alphaValid;
          u[i] = alpha[i] / norms[i];
        }
      }
      double un = Math.sqrt(Math.max(inner(g, u, u), 0));
      if (un < tol) {
        u = new double[n];
        u[firstValid] = 1 / norms[firstValid];
      } else {
        for (int i = 0; i < n; i++) {
          u[i] /= un;
        }
      }
      for (int iter = 0; iter < maxIter; iter++) {
        double[] tangent = new double[n];
        for (int i = 0; i < n; i++) {
          if (alpha[i] == 0) {
            continue;
          }
          double[] ui = new double[n];
          ui[i] = 1 / norms[i];
          double cos = Math.max(-1, Math.min(1, inner(g, u, ui)));
          double theta = Math.acos(cos);
          if (theta < tol) {
            continue;
          }
          double f = alpha[i] * theta / Math.sin(theta);
          for (int k = 0; k < n; k++) {
            tangent[k] += f * (ui[k] - cos * u[k]);
          }
        }
        double tn = Math.sqrt(Math.max(inner(g, tangent, tangent), 0));
        if (tn < tol) {
          break;
        }
        double cos = Math.cos(tn);
        double sin = Math.sin(tn);
        for (int k = 0; k < n; k++) {
          u[k] = cos * u[k] + sin * tangent[k] / tn;
        }
        double norm = Math.sqrt(Math.max(inner(g, u, u), 0));
        if (norm > tol) {
          for (int k = 0; k < n; k++) {
            u[k] /= norm;
          }
        }
      }
      for (int k = 0; k < n; k++) {
        u[k] *= scale;
      }
      return u;
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      double[] k = coefficients((GramStatistics) stats);
      for (int j = 0; j < c.length; j++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
          s += k[i] * c.models[i][j];
        }
        out[j] = (float) s;
      }
    }
  }
}
