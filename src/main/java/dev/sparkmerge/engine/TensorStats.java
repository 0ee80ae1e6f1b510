package dev.sparkmerge.engine;

import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.Simd;
import java.io.Serializable;

/**
 * Statistics of one merged tensor for comparing grid candidates: the L2 norm of the merged delta
 * (merged − base, or the merged tensor itself without a base), the fraction of elements the merge
 * changed, the rate of sign conflicts among the inputs' deltas, and the cosine between the merged
 * delta and each input's delta. Accumulated in double, chunk by chunk (per vector lane where the
 * Vector API is in use, so the last bits of these report values depend on the CPU's vector width).
 */
public final class TensorStats implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String tensor;
  private long numel;
  private long changed;
  private long conflicts;
  private double deltaSq;
  private final double[] dots;
  private final double[] inputSq;
  /** Scratch of one tile, reused by every range added (not part of the result). */
  private transient double[] delta;
  private transient int[] signs;

  TensorStats(String tensor, int models) {
    this.tensor = tensor;
    this.dots = new double[models];
    this.inputSq = new double[models];
  }

  /** Elements per tile: the merged delta of a tile stays in cache while each input passes. */
  private static final int TILE = 2048;

  /** Adds one chunk: the inputs and the merged values {@code out[0..chunk.length)}. */
  void add(Chunk chunk, float[] out) {
    add(chunk, out, true);
  }

  /**
   * As {@link #add(Chunk, float[])}; without {@code inputs} the statistics of the inputs alone
   * (their norms and sign conflicts) are left out, for a grid candidate that takes them from
   * another candidate merging the same inputs ({@link #copyInputStatistics}).
   */
  void add(Chunk chunk, float[] out, boolean inputs) {
    add(chunk, out, 0, chunk.length, inputs);
  }

  /**
   * As {@link #add(Chunk, float[], boolean)} for chunk positions [from, from + length) only; the
   * ranges of a chunk may come one by one, as the kernel merges them ({@link
   * dev.sparkmerge.method.MergeObserver}). Sums are grouped by tiles from {@code from}, so ranges
   * that are whole tiles give the same bits as one call for the chunk.
   */
  void add(Chunk chunk, float[] out, int from, int length, boolean inputs) {
    if (delta == null) {
      delta = new double[TILE];
      signs = Simd.ENABLED ? new int[TILE] : null;
    }
    for (int at = from; at < from + length; at += TILE) {
      int n = Math.min(TILE, from + length - at);
      int done = Simd.ENABLED ? addVectorTile(chunk, out, at, n, inputs, delta, signs) : 0;
      addTile(chunk, out, at + done, n - done, inputs, delta);
    }
    numel += length;
  }

  /** The input statistics of {@code other}, which saw the same inputs. */
  void copyInputStatistics(TensorStats other) {
    System.arraycopy(other.inputSq, 0, inputSq, 0, inputSq.length);
    conflicts = other.conflicts;
  }

  private int addVectorTile(Chunk chunk, float[] out, int from, int n, boolean inputs,
      double[] delta, int[] signs) {
    int m = dots.length;
    double[] sums = new double[1 + 2 * m];
    long[] counts = new long[2];
    int done = SimdTensorStats.addTile(chunk.models, chunk.base, out, from, n, inputs, sums,
        counts, delta, signs);
    deltaSq += sums[0];
    for (int i = 0; i < m; i++) {
      dots[i] += sums[1 + i];
      inputSq[i] += sums[1 + m + i];
    }
    changed += counts[0];
    conflicts += counts[1];
    return done;
  }

  /**
   * Positions [from, from + n) input by input with local accumulators: a grid adds every merged
   * tensor of every candidate, and a loop that updated the fields element by element (the first
   * form) took a third of a 6-candidate TIES grid's time; this scalar form still took most of it
   * (JFR), hence the vector form above where the Vector API is available.
   */
  private void addTile(Chunk chunk, float[] out, int from, int n, boolean inputs,
      double[] delta) {
    float[] b = chunk.base;
    double sq = 0;
    long nonZero = 0;
    for (int j = 0; j < n; j++) {
      double d = out[from + j] - (b == null ? 0.0 : b[from + j]);
      delta[j] = d;
      sq += d * d;
      nonZero += d != 0 ? 1 : 0;
    }
    deltaSq += sq;
    changed += nonZero;
    int m = chunk.models.length;
    for (int i = 0; i < m; i++) {
      float[] x = chunk.models[i];
      double dot = 0;
      double xsq = 0;
      for (int j = 0; j < n; j++) {
        double v = x[from + j] - (b == null ? 0.0 : b[from + j]);
        dot += delta[j] * v;
        xsq += v * v;
      }
      dots[i] += dot;
      inputSq[i] += inputs ? xsq : 0;
    }
    long conflicting = 0;
    for (int j = 0; j < n && inputs; j++) {
      double base = b == null ? 0.0 : b[from + j];
      boolean pos = false;
      boolean neg = false;
      for (int i = 0; i < m; i++) {
        double v = chunk.models[i][from + j] - base;
        pos |= v > 0;
        neg |= v < 0;
      }
      conflicting += pos && neg ? 1 : 0;
    }
    conflicts += conflicting;
  }

  public String tensor() {
    return tensor;
  }

  public long numel() {
    return numel;
  }

  public double deltaL2() {
    return Math.sqrt(deltaSq);
  }

  public double changedFraction() {
    return numel == 0 ? 0 : (double) changed / numel;
  }

  public double signConflictRate() {
    return numel == 0 ? 0 : (double) conflicts / numel;
  }

  /** Cosine between the merged delta and input {@code i}'s delta (NaN if either is zero). */
  public double cosine(int i) {
    double denom = Math.sqrt(deltaSq * inputSq[i]);
    return denom == 0 ? Double.NaN : dots[i] / denom;
  }

  /** L2 norm of input {@code i}'s delta (its task vector on this tensor). */
  public double inputL2(int i) {
    return Math.sqrt(inputSq[i]);
  }

  public int models() {
    return dots.length;
  }
}
