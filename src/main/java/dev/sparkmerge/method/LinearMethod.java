package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.PER_MODEL;

import java.util.List;

/** {@code linear}: y = Σ w_i x_i, divided by Σ w_i when normalize is on (reference §3.1). */
public final class LinearMethod extends DeclaredMethod {
  LinearMethod() {
    super("linear", BaseModelUse.ORDINARY_INPUT, ShapeRule.CROP_TO_COMMON,
        List.of(
          ParameterSpec.requiredNumber("weight", PER_MODEL, Double.NEGATIVE_INFINITY,
              Double.POSITIVE_INFINITY, "the model's weight in the average"),
          ParameterSpec.flag("normalize", true, "divide by the sum of the weights")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.hasBase) {
      throw new IllegalArgumentException("linear takes the base as an ordinary input");
    }
    if (spec.modelCount == 0) {
      throw Methods.arity(name(), spec, "needs at least one model");
    }
    float[] w = new float[spec.modelCount];
    double sum = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) v.number("weight", i);
      sum += w[i];
    }
    boolean normalize = v.flag("normalize");
    if (normalize && Math.abs(sum) < 1e-8) {
      // mergekit divides by zero here and writes inf/NaN; we refuse instead.
      throw new MergeException("merge method 'linear': the weights of the models that have tensor "
          + spec.name + " sum to " + sum + ", so normalize: true would divide by zero. Change the "
          + "weights or set normalize: false.");
    }
    return new LinearKernel(w, normalize ? sum : 1.0);
  }

  static final class LinearKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    private final float[] weights;
    private final double divisor;

    LinearKernel(float[] weights, double divisor) {
      this.weights = weights;
      this.divisor = divisor;
    }

    @Override
    public Statistics initialStatistics() {
      return null;
    }

    /** Elements per tile: the double accumulator of a tile stays in the L1 cache. */
    private static final int TILE = 2048;

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      double[] acc = Scratch.doubles(0, Math.min(TILE, c.length));
      for (int from = 0; from < c.length; from += TILE) {
        mergeTile(c, from, Math.min(TILE, c.length - from), acc, out);
      }
    }

    private void mergeTile(Chunk c, int from, int n, double[] acc, float[] out) {
      float[] x0 = c.models[0];
      double w0 = weights[0];
      for (int j = 0; j < n; j++) {
        acc[j] = w0 * x0[from + j];
      }
      for (int i = 1; i < weights.length; i++) {
        float[] x = c.models[i];
        double w = weights[i];
        for (int j = 0; j < n; j++) {
          acc[j] += w * x[from + j];
        }
      }
      double d = divisor;
      for (int j = 0; j < n; j++) {
        out[from + j] = (float) (acc[j] / d);
      }
    }
  }
}
