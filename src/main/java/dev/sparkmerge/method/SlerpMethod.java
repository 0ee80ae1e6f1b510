package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;

import java.util.List;

/**
 * {@code slerp} (reference §3.2): spherical interpolation from the base (t = 0) to the other model
 * (t = 1) along the angle between the whole flattened tensors, applied to the unnormalized
 * tensors; plain lerp when |cos θ| &gt; 0.9995.
 */
public final class SlerpMethod extends DeclaredMethod {
  static final double COLINEAR = 0.9995;

  SlerpMethod() {
    super("slerp", BaseModelUse.REQUIRED, ShapeRule.CROP_TO_COMMON,
        List.of(
          ParameterSpec.requiredNumber("t", GLOBAL, 0, 1,
              "0 gives the base, 1 the other model (mergekit does not extrapolate either)")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    int inputs = spec.modelCount + (spec.hasBase ? 1 : 0);
    if (inputs == 1) {
      return new CopyKernel(spec.hasBase ? CopyKernel.BASE : 0);
    }
    if (spec.modelCount > 1) {
      throw Methods.arity(name(), spec, "expects exactly two models (the base and one other)");
    }
    if (!spec.hasBase) {
      throw Methods.arity(name(), spec, "needs the base model among its two inputs");
    }
    return new SlerpKernel(v.number("t"));
  }

  /** Interpolation coefficients (c0 for the base, c1 for the other model) from the exact Gram numbers. */
  static double[] coefficients(double t, double g00, double g01, double g11) {
    double n0 = Math.sqrt(g00);
    double n1 = Math.sqrt(g11);
    // mergekit normalizes a vector only when its norm exceeds 1e-8.
    double s0 = n0 > 1e-8 ? n0 : 1;
    double s1 = n1 > 1e-8 ? n1 : 1;
    double dot = g01 / (s0 * s1);
    if (Math.abs(dot) > COLINEAR || Double.isNaN(dot)) {
      return new double[] {1 - t, t};
    }
    double theta = Math.acos(dot);
    double sinTheta = Math.sin(theta);
    double thetaT = theta * t;
    return new double[] {Math.sin(theta - thetaT) / sinTheta, Math.sin(thetaT) / sinTheta};
  }

  static final class SlerpKernel implements TensorKernel, VectorSource {
    private static final long serialVersionUID = 1L;
    private final double t;

    SlerpKernel(double t) {
      this.t = t;
    }

    @Override
    public Statistics initialStatistics() {
      return new GramStatistics(this, Grouping.whole());
    }

    @Override
    public int vectorCount() {
      return 2;
    }

    @Override
    public void vectors(Chunk c, float[][] out) {
      System.arraycopy(c.base, 0, out[0], 0, c.length);
      System.arraycopy(c.models[0], 0, out[1], 0, c.length);
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      GramStatistics g = (GramStatistics) stats;
      double[] k = coefficients(t, g.dot(0, 0, 0), g.dot(0, 0, 1), g.dot(0, 1, 1));
      float[] b = c.base;
      float[] x = c.models[0];
      for (int j = 0; j < c.length; j++) {
        out[j] = (float) (k[0] * b[j] + k[1] * x[j]);
      }
    }
  }
}
