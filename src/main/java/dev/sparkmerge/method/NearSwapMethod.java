package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;

import java.util.List;

/**
 * {@code nearswap} (reference §3.10): where the other model is within t of the base take it, else
 * move toward it by t / |b − x|: ω = clamp(t / max(|b − x|, 1e-6), 0, 1), y = ω·x + (1 − ω)·b.
 */
public final class NearSwapMethod extends DeclaredMethod {
  NearSwapMethod() {
    super("nearswap", BaseModelUse.REQUIRED, ShapeRule.STRICT,
        List.of(
          ParameterSpec.requiredNumber("t", GLOBAL, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
              "distance below which the other model's value is taken")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    Methods.requireBase(name(), spec);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    if (spec.modelCount > 1) {
      throw Methods.arity(name(), spec, "expects exactly one model besides the base");
    }
    return new NearSwapKernel((float) v.number("t"));
  }

  static final class NearSwapKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    private final float t;

    NearSwapKernel(float t) {
      this.t = t;
    }

    @Override
    public Statistics initialStatistics() {
      return null;
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      float[] b = c.base;
      float[] x = c.models[0];
      for (int j = 0; j < c.length; j++) {
        float w = t / Math.max(Math.abs(b[j] - x[j]), 1e-6f);
        if (Float.isNaN(w) || Float.isInfinite(w)) {
          w = 1f; // as mergekit's nan_to_num(nan=1, posinf=1, neginf=1)
        }
        w = Math.max(0f, Math.min(1f, w));
        out[j] = (float) ((double) w * x[j] + (1.0 - w) * b[j]);
      }
    }
  }
}
