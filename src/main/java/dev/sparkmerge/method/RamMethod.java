package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code ram} and {@code ramplus_tl} (reference §3.8): a change made by one model alone is kept
 * (ramplus_tl: amplified by λ_i), changes shared by several models are averaged, changes of at most
 * epsilon are dropped. ramplus_tl needs per-model counts over the whole tensor: one statistics pass.
 */
public final class RamMethod extends DeclaredMethod {
  private final boolean plus;

  private RamMethod(boolean plus) {
    super(plus ? "ramplus_tl" : "ram", BaseModelUse.REQUIRED, ShapeRule.STRICT, specs(plus));
    this.plus = plus;
  }

  private static List<ParameterSpec> specs(boolean plus) {
    List<ParameterSpec> specs = new ArrayList<>();
    if (plus) {
      specs.add(ParameterSpec.number("r", GLOBAL, 0.1, Double.NEGATIVE_INFINITY,
          Double.POSITIVE_INFINITY, "strength of the amplification of unique changes"));
      specs.add(ParameterSpec.number("alpha", GLOBAL, 0.2, 0, Double.POSITIVE_INFINITY,
          "cap on the shared/unique ratio"));
    }
    specs.add(ParameterSpec.number("epsilon", GLOBAL, 1e-5, 0, Double.POSITIVE_INFINITY,
        "changes of at most this magnitude are ignored"));
    return specs;
  }

  public static List<MergeMethod> all() {
    return List.of(new RamMethod(false), new RamMethod(true));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    Methods.requireBase(name(), spec);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    float eps = (float) v.number("epsilon");
    return plus
        ? new RamKernel(spec.modelCount, eps, v.number("r"), v.number("alpha"))
        : new RamKernel(spec.modelCount, eps, 0, 0);
  }

  static final class RamKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    private final int models;
    private final float epsilon;
    private final double r;
    private final double alpha;
    private final boolean plus;

    RamKernel(int models, float epsilon, double r, double alpha) {
      this.models = models;
      this.epsilon = epsilon;
      this.r = r;
      this.alpha = alpha;
      this.plus = r != 0 || alpha != 0;
    }

    @Override
    public Statistics initialStatistics() {
      return plus ? new RamCounts(this) : null;
    }

    /** Number of models whose change at j exceeds epsilon. */
    int active(Chunk c, int j) {
      int count = 0;
      for (int i = 0; i < models; i++) {
        if (Math.abs(c.models[i][j] - c.base[j]) > epsilon) {
          count++;
        }
      }
      return count;
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      double[] lambda = new double[models];
      java.util.Arrays.fill(lambda, 1.0);
      if (plus) {
        RamCounts counts = (RamCounts) stats;
        for (int i = 0; i < models; i++) {
          double rho = counts.shared[i] / Math.max((double) counts.unique[i], epsilon);
          lambda[i] = 1 + r * Math.max(0, Math.min(alpha, rho));
        }
      }
      for (int j = 0; j < c.length; j++) {
        int active = active(c, j);
        double sum = 0;
        for (int i = 0; i < models; i++) {
          float d = c.models[i][j] - c.base[j];
          if (Math.abs(d) > epsilon) {
            sum += active == 1 ? lambda[i] * d : (double) d / active;
          }
        }
        out[j] = (float) (c.base[j] + sum);
      }
    }
  }

  /** Per model: positions where it is active together with others (shared) or alone (unique). */
  static final class RamCounts extends Statistics {
    private static final long serialVersionUID = 1L;
    private final RamKernel kernel;
    final long[] shared;
    final long[] unique;
    private boolean done;

    RamCounts(RamKernel kernel) {
      this.kernel = kernel;
      this.shared = new long[kernel.models];
      this.unique = new long[kernel.models];
    }

    @Override
    public boolean isComplete() {
      return done;
    }

    @Override
    public Statistics newPartial() {
      return new RamCounts(kernel);
    }

    @Override
    public void accumulate(Chunk c) {
      for (int j = 0; j < c.length; j++) {
        int active = kernel.active(c, j);
        for (int i = 0; i < kernel.models; i++) {
          if (Math.abs(c.models[i][j] - c.base[j]) > kernel.epsilon) {
            if (active == 1) {
              unique[i]++;
            } else {
              shared[i]++;
            }
          }
        }
      }
    }

    @Override
    public void combine(Statistics other) {
      RamCounts o = (RamCounts) other;
      for (int i = 0; i < shared.length; i++) {
        shared[i] += o.shared[i];
        unique[i] += o.unique[i];
      }
    }

    @Override
    public Statistics finishPass() {
      done = true;
      return this;
    }
  }
}
