package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.PER_MODEL;

import java.util.List;

/** {@code passthrough}: copies its single input, times the optional per-model scale (reference §3.12). */
public final class PassthroughMethod extends DeclaredMethod {
  PassthroughMethod() {
    super("passthrough", BaseModelUse.ORDINARY_INPUT, ShapeRule.STRICT,
        List.of(
          ParameterSpec.number("scale", PER_MODEL, null, Double.NEGATIVE_INFINITY,
              Double.POSITIVE_INFINITY, "multiplies the tensor; unset copies it bit for bit")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.modelCount + (spec.hasBase ? 1 : 0) != 1) {
      throw Methods.arity(name(), spec, "expects exactly one input tensor");
    }
    if (spec.hasBase) {
      return new CopyKernel(CopyKernel.BASE);
    }
    Double scale = v.optionalNumber("scale", 0);
    return scale == null ? new CopyKernel(0) : new ScaleKernel((float) scale.doubleValue());
  }

  static final class ScaleKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    private final float scale;

    ScaleKernel(float scale) {
      this.scale = scale;
    }

    @Override
    public Statistics initialStatistics() {
      return null;
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      float[] x = c.models[0];
      for (int j = 0; j < c.length; j++) {
        out[j] = x[j] * scale;
      }
    }
  }
}
