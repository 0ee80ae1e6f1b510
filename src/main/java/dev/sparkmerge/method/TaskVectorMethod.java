package dev.sparkmerge.method;

import static dev.sparkmerge.method.ParameterSpec.Scope.GLOBAL;
import static dev.sparkmerge.method.ParameterSpec.Scope.PER_MODEL;

import java.util.ArrayList;
import java.util.List;

/** The eight task-vector methods of reference/mergekit.md §3.6, one instance per variant. */
public final class TaskVectorMethod extends DeclaredMethod {
  private static final double INF = Double.POSITIVE_INFINITY;

  private final Sparsifier sparsifier;
  private final Consensus consensus;

  private TaskVectorMethod(String name, Sparsifier sparsifier, boolean signConsensus,
      boolean normalize, boolean rescale) {
    super(name, BaseModelUse.REQUIRED, ShapeRule.CROP_TO_BASE_OR_SKIP,
        specs(sparsifier, signConsensus, normalize, rescale));
    this.sparsifier = sparsifier;
    this.consensus = signConsensus ? Consensus.SUM : Consensus.NONE;
  }

  private static List<ParameterSpec> specs(Sparsifier sparsifier, boolean signConsensus,
      boolean normalize, boolean rescale) {
    List<ParameterSpec> specs = new ArrayList<>();
    specs.add(ParameterSpec.requiredNumber("weight", PER_MODEL, -INF, INF,
        "scales the model's task vector"));
    specs.add(ParameterSpec.number("density", PER_MODEL, 1.0, 0, 1,
        "fraction of the task vector to keep, in (0, 1]; 1 keeps all").exclusiveMin());
    if (sparsifier == Sparsifier.OUTLIERS) {
      specs.add(ParameterSpec.number("gamma", PER_MODEL, 0.01, 0, 1,
          "fraction of largest magnitudes dropped as outliers"));
    }
    if (sparsifier == Sparsifier.RANK_PROBABILITY) {
      specs.add(ParameterSpec.number("epsilon", PER_MODEL, 0.15, 0, 1,
          "keep probabilities spread over density ± epsilon by magnitude rank"));
    }
    specs.add(ParameterSpec.flag("int8_mask", false, "memory option in mergekit; no effect here"));
    specs.add(ParameterSpec.flag("normalize", normalize,
        "divide by the sum of weights (of agreeing models with sign consensus)"));
    specs.add(ParameterSpec.flag("rescale", rescale, "rescale kept values after trimming"));
    specs.add(ParameterSpec.number("lambda", GLOBAL, 1.0, -INF, INF,
        "scales the merged task vector"));
    specs.add(ParameterSpec.choice("rescale_method", "l1", List.of("l1", "inverse_density"),
        "extension: l1 = mergekit's L1-norm matching, inverse_density = PEFT's 1/density"));
    if (signConsensus) {
      specs.add(ParameterSpec.choice("consensus_method", "sum", List.of("sum", "count"),
          "extension: sign election by weighted sum (mergekit) or by count of signs (PEFT)"));
    }
    return specs;
  }

  public static List<MergeMethod> all() {
    return List.of(
        new TaskVectorMethod("task_arithmetic", Sparsifier.NONE, false, false, false),
        new TaskVectorMethod("ties", Sparsifier.MAGNITUDE, true, true, false),
        new TaskVectorMethod("dare_ties", Sparsifier.RANDOM, true, false, true),
        new TaskVectorMethod("dare_linear", Sparsifier.RANDOM, false, false, true),
        new TaskVectorMethod("breadcrumbs", Sparsifier.OUTLIERS, false, false, false),
        new TaskVectorMethod("breadcrumbs_ties", Sparsifier.OUTLIERS, true, false, false),
        new TaskVectorMethod("della", Sparsifier.RANK_PROBABILITY, true, true, true),
        new TaskVectorMethod("della_linear", Sparsifier.RANK_PROBABILITY, false, false, true));
  }

  @Override
  public TensorKernel bind(TensorSpec spec, MethodParameters params) {
    Methods.requireBase(name(), spec);
    ParameterValues v = Methods.bindParameters(schema, spec, params);
    if (spec.modelCount == 0) {
      return new CopyKernel(CopyKernel.BASE);
    }
    boolean rescale = v.flag("rescale");
    ModelTrim.Rescale rescaleMode = !rescale ? ModelTrim.Rescale.NONE
        : v.choice("rescale_method").equals("l1") ? ModelTrim.Rescale.L1
        : ModelTrim.Rescale.INVERSE_DENSITY;
    ModelTrim[] trims = new ModelTrim[spec.modelCount];
    for (int i = 0; i < trims.length; i++) {
      trims[i] = trim(spec, v, i, rescaleMode);
    }
    Consensus c = consensus;
    if (c != Consensus.NONE && v.choice("consensus_method").equals("count")) {
      c = Consensus.COUNT;
    }
    return new TaskVectorKernel(spec, trims, c, v.flag("normalize"), v.number("lambda"));
  }

  private ModelTrim trim(TensorSpec spec, ParameterValues v, int i, ModelTrim.Rescale rescale) {
    float weight = (float) v.number("weight", i);
    double density = v.number("density", i);
    long stream = CounterRng.streamKey(spec.seed, spec.name, i);
    if (sparsifier == Sparsifier.NONE || density >= 1) {
      return new ModelTrim(Sparsifier.NONE, weight, 1.0, rescale, new long[0], 0, stream);
    }
    long n = spec.numel;
    long keep = (long) Math.floor(density * n);
    if (density <= 0 || (keep == 0 && (sparsifier == Sparsifier.MAGNITUDE
        || sparsifier == Sparsifier.OUTLIERS))) {
      throw new MergeException("merge method '" + name() + "': density " + density + " of model "
          + i + " keeps floor(" + density + " × " + n + ") = 0 elements of tensor " + spec.name
          + ", which would drop its whole task vector. Use a density of at least "
          + (density <= 0 ? "a positive value" : String.format("%.3g", 1.0 / n))
          + " (or a filter that excludes this tensor).");
    }
    switch (sparsifier) {
      case MAGNITUDE:
        return new ModelTrim(sparsifier, weight, density, rescale, new long[] {keep}, 0, stream);
      case RANDOM:
        return new ModelTrim(sparsifier, weight, density, rescale, new long[0], 0, stream);
      case OUTLIERS: {
        long top = (long) Math.floor(v.number("gamma", i) * n);
        long bottom = n - keep - top;
        if (bottom < 0) {
          top += bottom;
        }
        // Keep descending ranks [top, top + keep): everything in the top (top + keep) minus the
        // top `top`. With top = 0 nothing is removed as an outlier (mergekit zeroes the tensor).
        return new ModelTrim(sparsifier, weight, density, rescale,
            new long[] {top + keep, top}, 0, stream);
      }
      case RANK_PROBABILITY: {
        double epsilon = v.number("epsilon", i);
        if (!(density - epsilon > 0) || !(density + epsilon < 1)) {
          throw new MergeException("merge method '" + name() + "': model " + i + " has density "
              + density + " and epsilon " + epsilon + ", but density ± epsilon must lie strictly "
              + "between 0 and 1. Lower epsilon (it defaults to 0.15) or move density toward 0.5.");
        }
        return new ModelTrim(sparsifier, weight, density, rescale, new long[0], epsilon, stream);
      }
      default:
        throw new IllegalStateException(sparsifier.toString());
    }
  }
}
