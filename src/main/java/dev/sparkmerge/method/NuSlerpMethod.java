package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.PER_MODEL;

import java.util.List;

/**
 * {@code nuslerp} (reference §3.3): slerp of two models (or their task vectors when a base is set)
 * with t = w_B / (w_A + w_B), over the whole tensor or per slice. {@code nuslerp_row_wise: true}
 * slerps slices along dimension 0 (the columns of a 2-D weight), which is what mergekit's code
 * does, whatever its docs say.
 */
public final class NuSlerpMethod extends DeclaredMethod {
  NuSlerpMethod() {
    super("nuslerp", BaseModelUse.OPTIONAL, ShapeRule.CROP_TO_COMMON,
        List.of(
          ParameterSpec.requiredNumber("weight", PER_MODEL, Double.NEGATIVE_INFINITY,
              Double.POSITIVE_INFINITY, "relative weight; t = w_B / (w_A + w_B)"),
          ParameterSpec.flag("nuslerp_flatten", true, "slerp the whole tensor as one vector"),
          ParameterSpec.flag("nuslerp_row_wise", false,
              "without flatten: slices along dimension 0 (columns) instead of the last dimension")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.modelCount + (spec.hasBase ? 1 : 0) == 1) {
      return new CopyKernel(spec.hasBase ? CopyKernel.BASE : 0);
    }
    if (spec.modelCount != 2) {
      throw Methods.arity(name(), spec,
          "expects exactly two models to merge (plus an optional, distinct base)");
    }
    double wa = v.number("weight", 0);
    double wb = v.number("weight", 1);
    double t = Math.abs(wa + wb) < 1e-6 ? 0.5 : wb / (wa + wb);
    Grouping g = v.flag("nuslerp_flatten") ? Grouping.whole()
        : v.flag("nuslerp_row_wise") ? Grouping.firstDim(spec) : Grouping.lastDim(spec);
    return new NuSlerpKernel(t, g, spec.hasBase);
  }

  /** Coefficients for v0 and v1 of one slice. */
  static double[] coefficients(double t, double g00, double g01, double g11) {
    double n0 = Math.max(Math.sqrt(g00), 1e-7);
    double n1 = Math.max(Math.sqrt(g11), 1e-7);
    double dot = Math.max(-1, Math.min(1, g01 / (n0 * n1)));
    double theta = Math.acos(dot);
    double sin = Math.sin(theta);
    if (Math.abs(sin) < 1e-8) {
      return new double[] {1 - t, t};
    }
    return new double[] {Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
  }

  static final class NuSlerpKernel implements TensorKernel, VectorSource {
    private static final long serialVersionUID = 1L;
    private final double t;
    private final Grouping grouping;
    private final boolean taskVectors;

    NuSlerpKernel(double t, Grouping grouping, boolean taskVectors) {
      this.t = t;
      this.grouping = grouping;
      this.taskVectors = taskVectors;
    }

    @Override
    public Statistics initialStatistics() {
      return new GramStatistics(this, grouping);
    }

    @Override
    public int vectorCount() {
      return 2;
    }

    @Override
    public void vectors(Chunk c, float[][] out) {
      for (int i = 0; i < 2; i++) {
        float[] x = c.models[i];
        for (int j = 0; j < c.length; j++) {
          out[i][j] = taskVectors ? x[j] - c.base[j] : x[j];
        }
      }
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      GramStatistics g = (GramStatistics) stats;
      float[] a = c.models[0];
      float[] b = c.models[1];
      int lastGroup = -1;
      double[] k = null;
      for (int j = 0; j < c.length; j++) {
        int group = g.groupOf(c.start + j);
        if (group != lastGroup) {
          k = coefficients(t, g.dot(group, 0, 0), g.dot(group, 0, 1), g.dot(group, 1, 1));
          lastGroup = group;
        }
        if (taskVectors) {
          float base = c.base[j];
          out[j] = (float) (base + k[0] * (a[j] - base) + k[1] * (b[j] - base));
        } else {
          out[j] = (float) (k[0] * a[j] + k[1] * b[j]);
        }
      }
    }
  }
}
