package dev.sparkmerge.method;

import java.util.List;

/**
 * {@code arcee_fusion} (reference §3.11): keep the other model's value where its importance
 * I = |x − b|·KL(softmax(x) ‖ softmax(b)) (KL per row) reaches τ = q50 + 1.5·(q75 − q25), else the
 * base's. Quantiles are exact over the whole tensor; mergekit samples 10^6 elements at random
 * above that size, which we do not.
 */
public final class ArceeFusionMethod extends DeclaredMethod {
  ArceeFusionMethod() {
    super("arcee_fusion", BaseModelUse.REQUIRED, ShapeRule.CROP_TO_COMMON,
        List.of());
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    Methods.bindParameters(schema, spec, params);
    if (spec.modelCount + (spec.hasBase ? 1 : 0) == 1) {
      return new CopyKernel(spec.hasBase ? CopyKernel.BASE : 0);
    }
    if (spec.modelCount != 1 || !spec.hasBase) {
      throw Methods.arity(name(), spec, "expects exactly two models, one of them the base");
    }
    return new ArceeFusionKernel(spec);
  }

  /** Index into the ascending order of I for quantile p, with mergekit's float32 product. */
  static long quantileIndex(double p, long n) {
    return (long) Math.floor((float) p * (float) (n - 1));
  }

  static final class ArceeFusionKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    final TensorSpec spec;
    final Grouping rows;

    ArceeFusionKernel(TensorSpec spec) {
      this.spec = spec;
      this.rows = Grouping.lastDim(spec);
    }

    @Override
    public Statistics initialStatistics() {
      return new ArceeStatistics(this);
    }

    /** Importance keys of the chunk (signed-float order), given the per-row KL values. */
    void importanceKeys(Chunk c, float[] kl, int[] keys) {
      float[] b = c.base;
      float[] x = c.models[0];
      for (int j = 0; j < c.length; j++) {
        float importance = Math.abs(x[j] - b[j]) * kl[rows.groupOf(c.start + j)];
        keys[j] = SortableKeys.signed(importance);
      }
    }

    @Override
    public void merge(Statistics statistics, Chunk c, float[] out) {
      ArceeStatistics s = (ArceeStatistics) statistics;
      int[] keys = Scratch.ints(0, c.length);
      importanceKeys(c, s.kl, keys);
      int tau = SortableKeys.signed(s.threshold);
      float[] b = c.base;
      float[] x = c.models[0];
      for (int j = 0; j < c.length; j++) {
        // mergekit: b + (x − b)·mask, in float32
        out[j] = keys[j] >= tau ? b[j] + (x[j] - b[j]) : b[j];
      }
    }
  }

  /** Row maxima, row sums of exponentials, row KL divergences, then three exact quantiles. */
  static final class ArceeStatistics extends Statistics {
    private static final long serialVersionUID = 1L;
    private static final double[] QUANTILES = {0.25, 0.5, 0.75};

    private enum Phase {
      MAX,
      EXP_SUM,
      KL,
      QUANTILES,
      DONE
    }

    private final ArceeFusionKernel kernel;
    private Phase phase;
    private float[] maxX;
    private float[] maxB;
    private float[] sumX;
    private float[] sumB;
    float[] kl;
    private ExactSum[][] rowSums;
    private TopKSelector[] selectors;
    float threshold;

    ArceeStatistics(ArceeFusionKernel kernel) {
      this.kernel = kernel;
      phase = Phase.MAX;
      int r = (int) kernel.rows.groups;
      maxX = filled(r);
      maxB = filled(r);
    }

    private ArceeStatistics(ArceeStatistics s) {
      kernel = s.kernel;
      phase = s.phase;
      maxX = s.maxX;
      maxB = s.maxB;
      sumX = s.sumX;
      sumB = s.sumB;
      kl = s.kl;
      threshold = s.threshold;
      int r = (int) kernel.rows.groups;
      if (phase == Phase.MAX) {
        maxX = filled(r);
        maxB = filled(r);
      } else if (phase == Phase.EXP_SUM || phase == Phase.KL) {
        rowSums = new ExactSum[r][];
      } else if (phase == Phase.QUANTILES) {
        selectors = new TopKSelector[3];
        for (int q = 0; q < 3; q++) {
          selectors[q] = s.selectors[q].newPartial();
        }
      }
    }

    private static float[] filled(int r) {
      float[] a = new float[r];
      java.util.Arrays.fill(a, Float.NEGATIVE_INFINITY);
      return a;
    }

    private ExactSum[] row(int r, int width) {
      if (rowSums[r] == null) {
        rowSums[r] = ExactSum.zeros(width);
      }
      return rowSums[r];
    }

    @Override
    public boolean isComplete() {
      return phase == Phase.DONE;
    }

    @Override
    public Statistics newPartial() {
      return new ArceeStatistics(this);
    }

    @Override
    public void accumulate(Chunk c) {
      float[] b = c.base;
      float[] x = c.models[0];
      Grouping rows = kernel.rows;
      switch (phase) {
        case MAX:
          for (int j = 0; j < c.length; j++) {
            int r = rows.groupOf(c.start + j);
            maxX[r] = Math.max(maxX[r], x[j]);
            maxB[r] = Math.max(maxB[r], b[j]);
          }
          break;
        case EXP_SUM:
          for (int j = 0; j < c.length; j++) {
            int r = rows.groupOf(c.start + j);
            ExactSum[] s = row(r, 2);
            s[0].add(exp(x[j], maxX[r]));
            s[1].add(exp(b[j], maxB[r]));
          }
          break;
        case KL:
          for (int j = 0; j < c.length; j++) {
            int r = rows.groupOf(c.start + j);
            float p = exp(x[j], maxX[r]) / sumX[r] + 1e-8f;
            float q = exp(b[j], maxB[r]) / sumB[r] + 1e-8f;
            row(r, 1)[0].add(p * (float) Math.log(p / q));
          }
          break;
        case QUANTILES: {
          int[] keys = Scratch.ints(0, c.length);
          kernel.importanceKeys(c, kl, keys);
          for (TopKSelector s : selectors) {
            if (!s.isComplete()) {
              s.accumulate(keys, c.length, c.start);
            }
          }
          break;
        }
        default:
          break;
      }
    }

    /** One softmax numerator, rounded to float32 so the row sums are exact sums of floats. */
    private static float exp(float v, float max) {
      return (float) Math.exp(v - max);
    }

    @Override
    public void combine(Statistics other) {
      ArceeStatistics o = (ArceeStatistics) other;
      switch (phase) {
        case MAX:
          for (int r = 0; r < maxX.length; r++) {
            maxX[r] = Math.max(maxX[r], o.maxX[r]);
            maxB[r] = Math.max(maxB[r], o.maxB[r]);
          }
          break;
        case EXP_SUM:
        case KL:
          for (int r = 0; r < rowSums.length; r++) {
            if (o.rowSums[r] != null) {
              ExactSum[] mine = row(r, o.rowSums[r].length);
              for (int i = 0; i < mine.length; i++) {
                mine[i].add(o.rowSums[r][i]);
              }
            }
          }
          break;
        case QUANTILES:
          for (int q = 0; q < 3; q++) {
            selectors[q].combine(o.selectors[q]);
          }
          break;
        default:
          break;
      }
    }

    @Override
    public Statistics finishPass() {
      int rows = (int) kernel.rows.groups;
      switch (phase) {
        case MAX:
          phase = Phase.EXP_SUM;
          rowSums = new ExactSum[rows][];
          break;
        case EXP_SUM:
          sumX = new float[rows];
          sumB = new float[rows];
          for (int r = 0; r < rows; r++) {
            sumX[r] = rowSums[r] == null ? 0f : (float) rowSums[r][0].value();
            sumB[r] = rowSums[r] == null ? 0f : (float) rowSums[r][1].value();
          }
          phase = Phase.KL;
          rowSums = new ExactSum[rows][];
          break;
        case KL:
          kl = new float[rows];
          for (int r = 0; r < rows; r++) {
            kl[r] = rowSums[r] == null ? 0f : (float) rowSums[r][0].value();
          }
          rowSums = null;
          selectors = new TopKSelector[3];
          long n = kernel.spec.numel;
          for (int q = 0; q < 3; q++) {
            selectors[q] = new TopKSelector(n, n - quantileIndex(QUANTILES[q], n), true);
          }
          phase = Phase.QUANTILES;
          break;
        case QUANTILES: {
          boolean done = true;
          for (TopKSelector s : selectors) {
            if (!s.isComplete()) {
              s.finishPass();
            }
            done &= s.isComplete();
          }
          if (done) {
            float q25 = SortableKeys.fromSigned(selectors[0].threshold());
            float q50 = SortableKeys.fromSigned(selectors[1].threshold());
            float q75 = SortableKeys.fromSigned(selectors[2].threshold());
            threshold = q50 + 1.5f * (q75 - q25);
            phase = Phase.DONE;
          }
          break;
        }
        default:
          break;
      }
      return this;
    }
  }
}
