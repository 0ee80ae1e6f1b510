package dev.sparkmerge.method;

import java.util.List;

/**
 * {@code model_stock} (reference §3.9): t = N·c / (1 + (N−1)·c) from the mean pairwise cosine c of
 * the task vectors, y = t·mean(x) + (1−t)·b; with filter_wise one t per row. t is not clamped, as in
 * mergekit and the paper.
 */
public final class ModelStockMethod extends DeclaredMethod {
  ModelStockMethod() {
    super("model_stock", BaseModelUse.REQUIRED, ShapeRule.CROP_TO_COMMON,
        List.of(
          ParameterSpec.flag("filter_wise", false, "one interpolation factor per row")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    Methods.requireBase(name(), spec);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    if (spec.modelCount < 2) {
      if (spec.optional) {
        return new OmitKernel(); // mergekit drops an optional weight it cannot merge
      }
      throw Methods.arity(name(), spec, "needs at least two models besides the base");
    }
    return new ModelStockKernel(spec, v.flag("filter_wise"));
  }

  static final class ModelStockKernel implements TensorKernel, VectorSource {
    private static final long serialVersionUID = 1L;
    private final int models;
    private final Grouping grouping;

    ModelStockKernel(TensorSpec spec, boolean filterWise) {
      this.models = spec.modelCount;
      this.grouping = filterWise ? Grouping.lastDim(spec) : Grouping.whole();
    }

    @Override
    public Statistics initialStatistics() {
      return new GramStatistics(this, grouping);
    }

    @Override
    public int vectorCount() {
      return models;
    }

    @Override
    public void vectors(Chunk c, float[][] out) {
      for (int i = 0; i < models; i++) {
        float[] x = c.models[i];
        float[] d = out[i];
        for (int j = 0; j < c.length; j++) {
          d[j] = x[j] - c.base[j];
        }
      }
    }

    /** The interpolation factor of one group. */
    double factor(GramStatistics g, int group) {
      double sum = 0;
      int pairs = 0;
      for (int a = 0; a < models; a++) {
        for (int b = a + 1; b < models; b++) {
          double norms = Math.sqrt(g.dot(group, a, a)) * Math.sqrt(g.dot(group, b, b));
          double cos = g.dot(group, a, b) / Math.max(norms, 1e-6);
          sum += Math.max(-1, Math.min(1, cos));
          pairs++;
        }
      }
      double c = sum / pairs;
      return models * c / (1 + (models - 1) * c);
    }

    @Override
    public void merge(Statistics stats, Chunk c, float[] out) {
      GramStatistics g = (GramStatistics) stats;
      int lastGroup = -1;
      double t = 0;
      for (int j = 0; j < c.length; j++) {
        int group = g.groupOf(c.start + j);
        if (group != lastGroup) {
          t = factor(g, group);
          lastGroup = group;
        }
        double sum = 0;
        for (int i = 0; i < models; i++) {
          sum += c.models[i][j];
        }
        out[j] = (float) (t * (sum / models) + (1 - t) * c.base[j]);
      }
    }
  }
}
