package dev.sparkmerge.engine;

import dev.sparkmerge.method.Chunk;
import java.io.Serializable;

/**
 * Statistics of one merged tensor for comparing grid candidates: the L2 norm of the merged delta
 * (merged − base, or the merged tensor itself without a base), the fraction of elements the merge
 * changed, the rate of sign conflicts among the inputs' deltas, and the cosine between the merged
 * delta and each input's delta. Accumulated in double, chunk by chunk.
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

  TensorStats(String tensor, int models) {
    this.tensor = tensor;
    this.dots = new double[models];
    this.inputSq = new double[models];
  }

  /** Adds one chunk: the inputs and the merged values {@code out[0..chunk.length)}. */
  void add(Chunk chunk, float[] out) {
    float[] b = chunk.base;
    int m = chunk.models.length;
    for (int j = 0; j < chunk.length; j++) {
      double base = b == null ? 0 : b[j];
      double d = out[j] - base;
      deltaSq += d * d;
      if (d != 0) {
        changed++;
      }
      boolean pos = false;
      boolean neg = false;
      for (int i = 0; i < m; i++) {
        double x = chunk.models[i][j] - base;
        dots[i] += d * x;
        inputSq[i] += x * x;
        pos |= x > 0;
        neg |= x < 0;
      }
      if (pos && neg) {
        conflicts++;
      }
    }
    numel += chunk.length;
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

  public int models() {
    return dots.length;
  }
}
