package dev.sparkmerge.method;

import java.util.Arrays;

/**
 * The generalized task-arithmetic kernel behind task_arithmetic, ties, dare_*, breadcrumbs* and
 * della*: trim each model's delta on its own, weight it, optionally elect signs, then
 * {@code y = b + λ·mixed/div}. Deltas, trimming, rescaling and weighting are float32 operations in
 * mergekit's order; the sums over models are double and the output is rounded once.
 */
final class TaskVectorKernel implements TensorKernel {
  private static final long serialVersionUID = 1L;

  final TensorSpec spec;
  final ModelTrim[] trims;
  private final Consensus consensus;
  private final boolean normalize;
  private final double lambda;
  /** DELLA ranks along dimension 1: vectors of {@code rankLength} elements, {@code rankStride} apart. */
  private final long rankLength;
  private final long rankStride;
  /** No model is trimmed and signs are not elected (task arithmetic): the plain sum path. */
  private final boolean untrimmedSum;
  /** The trims and consensus are ones {@link SimdTaskVector} merges (used when Simd.ENABLED). */
  private final boolean vectorizable;

  TaskVectorKernel(TensorSpec spec, ModelTrim[] trims, Consensus consensus, boolean normalize,
      double lambda) {
    this.spec = spec;
    this.trims = trims;
    this.consensus = consensus;
    this.normalize = normalize;
    this.lambda = lambda;
    this.untrimmedSum = untrimmedSum(trims, consensus);
    this.vectorizable = vectorizable(trims, consensus);
    if (spec.rank() >= 2) {
      rankLength = spec.dim(1);
      long inner = 1;
      for (int d = 2; d < spec.rank(); d++) {
        inner *= spec.dim(d);
      }
      rankStride = inner;
    } else {
      rankLength = spec.numel;
      rankStride = 1;
    }
  }

  @Override
  public Statistics initialStatistics() {
    for (ModelTrim t : trims) {
      if (t.selects() || t.needsL1()) {
        return new TaskVectorStatistics(this);
      }
    }
    return null;
  }

  /** Everything the statistics read: the tensor and each model's trim, but no weights. */
  @Override
  public Object statisticsKey() {
    StringBuilder key = new StringBuilder(spec.name).append('|').append(spec.numel);
    for (ModelTrim t : trims) {
      key.append('|').append(t.statisticsKey());
    }
    return key.toString();
  }

  @Override
  public long chunkAlignment() {
    for (ModelTrim t : trims) {
      if (t.kind == Sparsifier.RANK_PROBABILITY) {
        return Math.max(1, rankLength * rankStride);
      }
    }
    return 1;
  }

  /** Model i's trimmed delta (kept values of x − b, zeros elsewhere), before rescale and weight. */
  void trimmed(int i, Chunk c, TopKSelector[] selectors, float[] out) {
    trimmed(i, c, 0, c.length, selectors, out);
  }

  /** As above for chunk positions [from, from + n), written to out[0 .. n). */
  void trimmed(int i, Chunk c, int from, int n, TopKSelector[] selectors, float[] out) {
    ModelTrim t = trims[i];
    float[] x = c.models[i];
    float[] b = c.base;
    long start = c.start + from;
    switch (t.kind) {
      case NONE:
        for (int j = 0; j < n; j++) {
          out[j] = x[from + j] - b[from + j];
        }
        break;
      case MAGNITUDE: {
        int threshold = keptAbove(selectors[0]);
        int lastJ = lastEqualKept(selectors[0], start, n);
        int j = 0;
        if (Simd.ENABLED) {
          int[] keep = Scratch.ints(1, n);
          j = SimdTaskVector.magnitudeMasks(x, b, from, n, threshold, lastJ, keep);
          j = SimdTaskVector.maskedDeltas(x, b, from, j, keep, out);
        }
        for (; j < n; j++) {
          float d = x[from + j] - b[from + j];
          int bits = Float.floatToRawIntBits(d);
          int key = bits & 0x7FFFFFFF;
          // Int masks instead of branches (magnitudes are random, branches mispredict); both
          // key and threshold are in [-1, 2^31), so the differences cannot overflow.
          int above = (threshold - key) >> 31; // -1 when key > threshold
          int equal = ((key ^ threshold) - 1) >> 31; // -1 when key == threshold
          int early = ~((lastJ - j) >> 31); // -1 when j <= lastJ
          out[j] = Float.intBitsToFloat(bits & (above | (equal & early)));
        }
        break;
      }
      case OUTLIERS: {
        TopKSelector upTo = selectors[0];
        TopKSelector outliers = selectors[1];
        for (int j = 0; j < n; j++) {
          float d = x[from + j] - b[from + j];
          int key = SortableKeys.magnitude(d);
          boolean keep = upTo.keeps(key, start + j) && !outliers.keeps(key, start + j);
          out[j] = keep ? d : 0f;
        }
        break;
      }
      case RANDOM: {
        int[] keep = Scratch.ints(1, n);
        CounterRng.keepMasks(t.streamKey, start, n, t.keepThreshold, keep);
        int j = Simd.ENABLED ? SimdTaskVector.maskedDeltas(x, b, from, n, keep, out) : 0;
        for (; j < n; j++) {
          float d = x[from + j] - b[from + j];
          out[j] = Float.intBitsToFloat(Float.floatToRawIntBits(d) & keep[j]);
        }
        break;
      }
      case RANK_PROBABILITY:
        if (from != 0 || n != c.length) {
          throw new IllegalStateException("DELLA trims whole chunks only");
        }
        rankProbabilityTrim(t, x, b, n, start, out);
        break;
      default:
        throw new IllegalStateException(t.kind.toString());
    }
  }

  /**
   * A magnitude trim keeps keys above this, and keys equal to it up to {@link #lastEqualKept}: the
   * selection's threshold, or −1 for a keep-all selection (k = numel), which every key is above.
   */
  private static int keptAbove(TopKSelector s) {
    return s.threshold() < 0 ? -1 : s.threshold();
  }

  /**
   * The last position of a tile starting at flat index {@code start} whose key, if equal to the
   * threshold, is kept; clamped to [−1, n] so int maths suffices.
   */
  private static int lastEqualKept(TopKSelector s, long start, int n) {
    long last = s.threshold() < 0 ? Long.MAX_VALUE : s.lastKeptIndex();
    return (int) Math.max(-1, Math.min(n, last - start));
  }

  /**
   * DELLA: within each vector along dimension 1, the element of ascending magnitude rank r (0-based;
   * equal magnitudes ranked by position) is kept with probability low + (high − low)·r/(len − 1).
   * The chunk holds whole blocks of {@code rankLength × rankStride} elements (chunkAlignment).
   */
  private void rankProbabilityTrim(ModelTrim t, float[] x, float[] b, int n, long start,
      float[] out) {
    int len = (int) rankLength;
    int stride = (int) rankStride;
    int block = len * stride;
    int[] keys = new int[len];
    RowRanks ranks = new RowRanks();
    double spread = t.highProbability - t.lowProbability;
    for (int blockStart = 0; blockStart < n; blockStart += block) {
      for (int inner = 0; inner < stride; inner++) {
        int first = blockStart + inner;
        for (int r = 0; r < len; r++) {
          int j = first + r * stride;
          float d = x[j] - b[j];
          out[j] = d;
          keys[r] = SortableKeys.magnitude(d);
        }
        int[] ascending = ranks.ascending(keys, len);
        for (int rank = 0; rank < len; rank++) {
          int j = first + ascending[rank] * stride;
          // A single-element row has no rank spread: it keeps with probability density (mergekit fails).
          double ratio = len == 1 ? 0.5 : (double) rank / (len - 1);
          double p = t.lowProbability + spread * ratio;
          if (!CounterRng.keep(t.streamKey, start + j, CounterRng.keepThreshold(p))) {
            out[j] = 0f;
          }
        }
      }
    }
  }

  /** Elements merged per tile: all models' working arrays of a tile stay in the L1/L2 cache. */
  private static final int TILE = 2048;

  @Override
  public void merge(Statistics statistics, Chunk c, float[] out) {
    merge(statistics, c, out, null);
  }

  /** Tells the observer (if any) of each tile as soon as it is merged. */
  @Override
  public void merge(Statistics statistics, Chunk c, float[] out, MergeObserver observer) {
    TaskVectorStatistics stats = (TaskVectorStatistics) statistics;
    int tile = chunkAlignment() == 1 ? TILE : c.length; // DELLA ranks whole rows at once
    for (int from = 0; from < c.length; from += tile) {
      int n = Math.min(tile, c.length - from);
      mergeTile(stats, c, from, n, out);
      if (observer != null) {
        observer.merged(c, from, n, out);
      }
    }
  }

  private void mergeTile(TaskVectorStatistics stats, Chunk c, int from, int n, float[] out) {
    if (vectorizable && Simd.ENABLED) {
      int done = vectorMergeTile(stats, c, from, n, out);
      from += done;
      n -= done;
    }
    if (n == 0) {
      return;
    }
    if (untrimmedSum) {
      plainSumTile(c, from, n, out);
      return;
    }
    int m = trims.length;
    float[][] weighted = new float[m][];
    for (int i = 0; i < m; i++) {
      float[] d = Scratch.floats(i, n);
      trimmed(i, c, from, n, stats == null ? null : stats.selectors[i], d);
      ModelTrim t = trims[i];
      float w = t.weight;
      if (t.rescale == ModelTrim.Rescale.INVERSE_DENSITY) {
        float density = (float) t.density;
        for (int j = 0; j < n; j++) {
          d[j] = w * (d[j] / density);
        }
      } else {
        float f = stats == null ? 1f : stats.l1Factor[i];
        for (int j = 0; j < n; j++) {
          d[j] = w * (d[j] * f);
        }
      }
      weighted[i] = d;
    }
    if (consensus == Consensus.NONE) {
      mergeWithoutConsensus(weighted, c.base, from, n, out);
    } else {
      mergeWithConsensus(weighted, c.base, from, n, out);
    }
  }

  /** Magnitude trims, random drops or none, sign election by sum or none. */
  private static boolean vectorizable(ModelTrim[] trims, Consensus consensus) {
    if (consensus == Consensus.COUNT || trims.length == 0) {
      return false;
    }
    for (ModelTrim t : trims) {
      if (t.kind != Sparsifier.NONE && t.kind != Sparsifier.MAGNITUDE
          && t.kind != Sparsifier.RANDOM) {
        return false;
      }
    }
    return true;
  }

  /**
   * The Vector API merge of tile positions [0, return value); the caller merges the rest with the
   * scalar loops. The per-model parameters are those the scalar {@link #trimmed} and
   * {@link #mergeTile} use.
   */
  private int vectorMergeTile(TaskVectorStatistics stats, Chunk c, int from, int n, float[] out) {
    int m = trims.length;
    SimdTaskVector.Tile tile = new SimdTaskVector.Tile(m);
    long start = c.start + from;
    int vectorEnd = n;
    for (int i = 0; i < m; i++) {
      ModelTrim t = trims[i];
      int[] mask = Scratch.ints(2 + i, n);
      if (t.kind == Sparsifier.RANDOM) {
        CounterRng.keepMasks(t.streamKey, start, n, t.keepThreshold, mask);
      } else if (t.kind == Sparsifier.MAGNITUDE) {
        TopKSelector s = stats.selectors[i][0];
        vectorEnd = Math.min(vectorEnd, SimdTaskVector.magnitudeMasks(c.models[i], c.base, from,
            n, keptAbove(s), lastEqualKept(s, start, n), mask));
      } else { // untrimmed
        Arrays.fill(mask, 0, n, -1);
      }
      tile.masks[i] = mask;
      tile.divides[i] = t.rescale == ModelTrim.Rescale.INVERSE_DENSITY;
      tile.factors[i] = tile.divides[i] ? (float) t.density
          : stats == null ? 1f : stats.l1Factor[i];
      tile.weights[i] = t.weight;
    }
    return SimdTaskVector.merge(c.models, c.base, from, vectorEnd, tile,
        consensus == Consensus.SUM, normalize, weightSum(), lambda, out);
  }

  private static boolean untrimmedSum(ModelTrim[] trims, Consensus consensus) {
    if (consensus != Consensus.NONE) {
      return false;
    }
    for (ModelTrim t : trims) {
      if (t.kind != Sparsifier.NONE) {
        return false;
      }
    }
    return true;
  }

  /**
   * Task arithmetic (nothing trimmed or rescaled): the weighted deltas summed straight into the
   * double accumulator, one loop per model. Same operations, in the same order, as the general
   * path with a rescale factor of 1.
   */
  private void plainSumTile(Chunk c, int from, int n, float[] out) {
    double[] acc = Scratch.doubles(0, n);
    float[] b = c.base;
    for (int i = 0; i < trims.length; i++) {
      float[] x = c.models[i];
      float w = trims[i].weight;
      if (i == 0) {
        for (int j = 0; j < n; j++) {
          acc[j] = w * (x[from + j] - b[from + j]);
        }
      } else {
        for (int j = 0; j < n; j++) {
          acc[j] += w * (x[from + j] - b[from + j]);
        }
      }
    }
    finish(acc, b, from, n, out);
  }

  private void mergeWithoutConsensus(float[][] weighted, float[] b, int from, int n,
      float[] out) {
    double[] acc = Scratch.doubles(0, n);
    float[] d0 = weighted[0];
    for (int j = 0; j < n; j++) {
      acc[j] = d0[j];
    }
    for (int i = 1; i < weighted.length; i++) {
      float[] d = weighted[i];
      for (int j = 0; j < n; j++) {
        acc[j] += d[j];
      }
    }
    finish(acc, b, from, n, out);
  }

  /** {@code y = b + λ·acc/Σw} (normalize) or {@code b + λ·acc}, rounded once to float32. */
  private void finish(double[] acc, float[] b, int from, int n, float[] out) {
    if (normalize) {
      double div = weightSum();
      for (int j = 0; j < n; j++) {
        out[from + j] = (float) (b[from + j] + acc[j] / div * lambda);
      }
    } else {
      for (int j = 0; j < n; j++) {
        out[from + j] = (float) (b[from + j] + acc[j] * lambda);
      }
    }
  }

  /** Σ weights, or 1 when it is (nearly) zero, as mergekit guards the division. */
  private double weightSum() {
    double div = 0;
    for (ModelTrim t : trims) {
      div += t.weight;
    }
    return Math.abs(div) < 1e-8 ? 1 : div;
  }

  /**
   * Sign election, model by model over the tile so the loops stay simple: first the vote, then the
   * sum and weight of the models agreeing with it (a value of exactly 0 never agrees).
   */
  private void mergeWithConsensus(float[][] weighted, float[] b, int from, int n, float[] out) {
    double[] vote = Scratch.doubles(0, n);
    double[] mixed = Scratch.doubles(1, n);
    double[] div = Scratch.doubles(2, n);
    java.util.Arrays.fill(vote, 0, n, 0.0);
    java.util.Arrays.fill(mixed, 0, n, 0.0);
    java.util.Arrays.fill(div, 0, n, 0.0);
    boolean count = consensus == Consensus.COUNT;
    for (float[] d : weighted) {
      if (count) {
        for (int j = 0; j < n; j++) {
          vote[j] += Math.signum(d[j]);
        }
      } else {
        for (int j = 0; j < n; j++) {
          vote[j] += d[j];
        }
      }
    }
    for (int i = 0; i < weighted.length; i++) {
      float[] d = weighted[i];
      long w = Double.doubleToRawLongBits(trims[i].weight);
      for (int j = 0; j < n; j++) {
        // v agrees when it is non-zero and has the vote's sign (+ for a vote of 0, as the vote is
        // never -0.0). Bit masks instead of branches: the signs are random.
        long v = Double.doubleToRawLongBits(d[j]);
        long sameSign = ~((v ^ Double.doubleToRawLongBits(vote[j])) >> 63);
        long nonZero = ~(((v & Long.MAX_VALUE) - 1) >> 63);
        long agrees = sameSign & nonZero;
        mixed[j] += Double.longBitsToDouble(v & agrees);
        div[j] += Double.longBitsToDouble(w & agrees);
      }
    }
    for (int j = 0; j < n; j++) {
      double sum = mixed[j];
      if (normalize) {
        sum /= div[j] == 0 ? 1 : div[j];
      }
      out[from + j] = (float) (b[from + j] + sum * lambda);
    }
  }
}
