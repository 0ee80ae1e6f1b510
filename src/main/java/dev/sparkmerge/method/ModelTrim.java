package dev.sparkmerge.method;

import java.io.Serializable;

/**
 * The sparsification plan of one model's task vector in one tensor, fixed at bind time: which
 * elements survive (given the final statistics) and how the survivors are rescaled.
 */
final class ModelTrim implements Serializable {
  private static final long serialVersionUID = 1L;

  enum Rescale {
    NONE,
    /** mergekit: scale so the L1 norm of the kept values matches the untrimmed L1 norm. */
    L1,
    /** PEFT: divide by density. */
    INVERSE_DENSITY
  }

  final Sparsifier kind;
  final float weight;
  final double density;
  final Rescale rescale;
  /** Selection sizes (descending rank cut-offs): MAGNITUDE {k}; OUTLIERS {kept + top, top}. */
  final long[] selectionSizes;
  /** RANDOM: Bernoulli threshold for {@link CounterRng#keep}. */
  final long keepThreshold;
  /** RANK_PROBABILITY: lowest and highest keep probability (density ∓ epsilon). */
  final double lowProbability;
  final double highProbability;
  final long streamKey;

  ModelTrim(Sparsifier kind, float weight, double density, Rescale rescale, long[] selectionSizes,
      double epsilon, long streamKey) {
    this.kind = kind;
    this.weight = weight;
    this.density = density;
    this.rescale = kind == Sparsifier.NONE ? Rescale.NONE : rescale;
    this.selectionSizes = selectionSizes;
    this.keepThreshold = CounterRng.keepThreshold(density);
    this.lowProbability = density - epsilon;
    this.highProbability = density + epsilon;
    this.streamKey = streamKey;
  }

  /**
   * What the statistics passes depend on (which elements survive, whether L1 norms are needed) —
   * not the weight, which only the merge applies.
   */
  String statisticsKey() {
    return kind + "," + java.util.Arrays.toString(selectionSizes) + "," + rescale + ","
        + keepThreshold + "," + lowProbability + "," + highProbability + "," + streamKey;
  }

  boolean selects() {
    return kind == Sparsifier.MAGNITUDE || kind == Sparsifier.OUTLIERS;
  }

  boolean needsL1() {
    return rescale == Rescale.L1;
  }
}
