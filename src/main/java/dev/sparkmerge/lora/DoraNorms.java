package dev.sparkmerge.lora;

import dev.sparkmerge.method.ExactSum;
import java.io.Serializable;

/**
 * Partial sums of squares of V = W + ΔW per output feature of one DoRA module: the statistics pass
 * of {@link DoraMerge}. Sums are exact ({@link ExactSum}), so partials from any chunking, any
 * number of tasks and any combine order give bit-identical norms, as the determinism contract
 * requires.
 */
public final class DoraNorms implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ExactSum[] sums;

  DoraNorms(int channels) {
    sums = ExactSum.zeros(channels);
  }

  void addSquare(int channel, float v) {
    sums[channel].addSquare(v);
  }

  /** Adds another partial (from other chunks of the same tensor) into this one. */
  public void add(DoraNorms other) {
    if (other.sums.length != sums.length) {
      throw new IllegalArgumentException("DoRA norms of " + other.sums.length + " and "
          + sums.length + " features cannot be combined");
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i].add(other.sums[i]);
    }
  }

  /** ‖V_j‖² per output feature j (rows of V in out × in orientation), rounded once to double. */
  public double[] rowNormsSquared() {
    double[] out = new double[sums.length];
    for (int i = 0; i < sums.length; i++) {
      out[i] = sums[i].value();
    }
    return out;
  }

  public int features() {
    return sums.length;
  }
}
