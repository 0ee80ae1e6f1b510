package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;

import java.util.List;

/**
 * {@code sce} (reference §3.7): Select the positions where the task vectors vary most across models,
 * Calculate per-model energies (mean square of the selected task vector), Erase entries whose sign
 * disagrees with the elected sign, then an energy-weighted mean.
 */
public final class SceMethod extends DeclaredMethod {
  SceMethod() {
    super("sce", BaseModelUse.REQUIRED, ShapeRule.STRICT,
        List.of(
          ParameterSpec.number("select_topk", GLOBAL, 1.0, 0, Double.POSITIVE_INFINITY,
              "fraction of positions (with nonzero variance) kept; >= 1 keeps all"),
          ParameterSpec.flag("int8_mask", false, "memory option in mergekit; no effect here")));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    Methods.requireBase(name(), spec);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    double topk = v.number("select_topk");
    if (topk <= 0) {
      throw new MergeException("merge method 'sce': select_topk " + topk + " keeps no position of "
          + "tensor " + spec.name + " (mergekit would return the base). Use a value in (0, 1].");
    }
    return new SceKernel(spec, topk);
  }

  static final class SceKernel implements TensorKernel {
    private static final long serialVersionUID = 1L;
    final TensorSpec spec;
    final double selectTopk;
    final int models;

    SceKernel(TensorSpec spec, double selectTopk) {
      this.spec = spec;
      this.selectTopk = selectTopk;
      this.models = spec.modelCount;
    }

    boolean selects() {
      return selectTopk < 1;
    }

    @Override
    public Statistics initialStatistics() {
      return new SceStatistics(this);
    }

    /** Population variance of the task vectors at each position, as selection keys. */
    void varianceKeys(Chunk c, int[] keys) {
      for (int j = 0; j < c.length; j++) {
        double mean = 0;
        for (int i = 0; i < models; i++) {
          mean += c.models[i][j] - c.base[j];
        }
        mean /= models;
        double var = 0;
        for (int i = 0; i < models; i++) {
          double d = (c.models[i][j] - c.base[j]) - mean;
          var += d * d;
        }
        keys[j] = SortableKeys.magnitude((float) (var / models));
      }
    }

    /** Task vectors with unselected positions zeroed: out[i][j]. */
    void selected(Chunk c, TopKSelector selector, float[][] out) {
      int[] keys = null;
      if (selects()) {
        keys = Scratch.ints(0, c.length);
        varianceKeys(c, keys);
      }
      for (int i = 0; i < models; i++) {
        for (int j = 0; j < c.length; j++) {
          boolean keep = keys == null || selector.keeps(keys[j], c.start + j);
          out[i][j] = keep ? c.models[i][j] - c.base[j] : 0f;
        }
      }
    }

    @Override
    public void merge(Statistics statistics, Chunk c, float[] out) {
      SceStatistics stats = (SceStatistics) statistics;
      float[][] tau = new float[models][];
      for (int i = 0; i < models; i++) {
        tau[i] = Scratch.floats(i, c.length);
      }
      selected(c, stats.selector, tau);
      double[] e = stats.energies;
      for (int j = 0; j < c.length; j++) {
        double vote = 0;
        for (int i = 0; i < models; i++) {
          vote += tau[i][j];
        }
        boolean positive = vote >= 0;
        double num = 0;
        double den = 0;
        for (int i = 0; i < models; i++) {
          float d = tau[i][j];
          if (positive ? d > 0 : d < 0) {
            num += e[i] * d;
            den += e[i];
          }
        }
        out[j] = (float) (c.base[j] + num / Math.max(den, 1e-6));
      }
    }
  }

  /** Phases: count nonzero variances (k depends on it), select, then per-model energies. */
  static final class SceStatistics extends Statistics {
    private static final long serialVersionUID = 1L;

    private enum Phase {
      COUNT,
      SELECT,
      ENERGY,
      DONE
    }

    private final SceKernel kernel;
    private Phase phase;
    private long nonzero;
    TopKSelector selector;
    private ExactSum[] squares;
    double[] energies;

    SceStatistics(SceKernel kernel) {
      this.kernel = kernel;
      phase = kernel.selects() ? Phase.COUNT : Phase.ENERGY;
      if (phase == Phase.ENERGY) {
        squares = ExactSum.zeros(kernel.models);
      }
    }

    private SceStatistics(SceStatistics s) {
      kernel = s.kernel;
      phase = s.phase;
      selector = s.selector == null ? null
          : phase == Phase.SELECT ? s.selector.newPartial() : s.selector;
      energies = s.energies;
      if (phase == Phase.ENERGY) {
        squares = ExactSum.zeros(kernel.models);
      }
    }

    @Override
    public boolean isComplete() {
      return phase == Phase.DONE;
    }

    @Override
    public Statistics newPartial() {
      return new SceStatistics(this);
    }

    @Override
    public void accumulate(Chunk c) {
      switch (phase) {
        case COUNT: {
          int[] keys = Scratch.ints(0, c.length);
          kernel.varianceKeys(c, keys);
          for (int j = 0; j < c.length; j++) {
            if (keys[j] != 0) {
              nonzero++;
            }
          }
          break;
        }
        case SELECT: {
          int[] keys = Scratch.ints(0, c.length);
          kernel.varianceKeys(c, keys);
          selector.accumulate(keys, c.length, c.start);
          break;
        }
        case ENERGY: {
          float[][] tau = new float[kernel.models][];
          for (int i = 0; i < kernel.models; i++) {
            tau[i] = Scratch.floats(i, c.length);
          }
          kernel.selected(c, selector, tau);
          for (int i = 0; i < kernel.models; i++) {
            for (int j = 0; j < c.length; j++) {
              squares[i].addSquare(tau[i][j]);
            }
          }
          break;
        }
        default:
          break;
      }
    }

    @Override
    public void combine(Statistics other) {
      SceStatistics o = (SceStatistics) other;
      switch (phase) {
        case COUNT:
          nonzero += o.nonzero;
          break;
        case SELECT:
          selector.combine(o.selector);
          break;
        case ENERGY:
          for (int i = 0; i < squares.length; i++) {
            squares[i].add(o.squares[i]);
          }
          break;
        default:
          break;
      }
    }

    @Override
    public Statistics finishPass() {
      switch (phase) {
        case COUNT:
          selector = new TopKSelector(kernel.spec.numel,
              (long) Math.floor(nonzero * kernel.selectTopk));
          phase = selector.isComplete() ? Phase.ENERGY : Phase.SELECT;
          break;
        case SELECT:
          selector.finishPass();
          if (selector.isComplete()) {
            phase = Phase.ENERGY;
          }
          break;
        case ENERGY: {
          int n = kernel.models;
          energies = new double[n];
          double total = 0;
          for (int i = 0; i < n; i++) {
            energies[i] = squares[i].value() / kernel.spec.numel;
            total += energies[i];
          }
          for (int i = 0; i < n; i++) {
            energies[i] = Math.abs(total) < 1e-6 ? 1.0 / n : energies[i] / total;
          }
          squares = null;
          phase = Phase.DONE;
          break;
        }
        default:
          break;
      }
      if (phase == Phase.ENERGY && squares == null) {
        squares = ExactSum.zeros(kernel.models);
      }
      return this;
    }
  }
}
