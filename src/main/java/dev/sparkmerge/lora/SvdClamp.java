package dev.sparkmerge.lora;

import java.util.Arrays;

/**
 * PEFT's {@code svd_clamp} (reference/peft-lora.md §4.4 step 6): after the SVD, hi = the q-quantile
 * of all signed entries of B' and A' together (linear interpolation at position q·(N − 1) of the
 * sorted values, as torch.quantile), lo = −hi, and both factors clamped to [lo, hi] (to hi where
 * lo > hi, as torch.clamp). The entries are taken as the float32 values the adapter stores. The
 * quantile is of signed values, so it depends on the SVD's sign choices: results agree with PEFT
 * only on the same factors, not across SVD implementations.
 */
final class SvdClamp {
  private SvdClamp() {}

  /** The clamped factors, with the energy ‖B'·A'‖²_F / ‖M‖²_F of the clamped ones. */
  static LowRank.Factors apply(LowRank.Factors f, double quantile, int rows, int cols) {
    if (f.rank == 0) {
      return f;
    }
    double[] all = new double[f.b.length + f.a.length];
    for (int i = 0; i < f.b.length; i++) {
      all[i] = (float) f.b[i];
    }
    for (int i = 0; i < f.a.length; i++) {
      all[f.b.length + i] = (float) f.a[i];
    }
    Arrays.sort(all);
    double pos = quantile * (all.length - 1);
    int below = (int) Math.floor(pos);
    int above = Math.min(below + 1, all.length - 1);
    double hi = all[below] + (pos - below) * (all[above] - all[below]);
    double[] b = clamp(f.b, -hi, hi);
    double[] a = clamp(f.a, -hi, hi);
    double energy = f.totalEnergy == 0 ? 1.0
        : LowRank.productSquaredNorm(b, a, rows, cols, f.rank) / f.totalEnergy;
    return new LowRank.Factors(b, a, f.rank, energy, f.totalEnergy);
  }

  private static double[] clamp(double[] v, double lo, double hi) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.min(Math.max((float) v[i], lo), hi);
    }
    return out;
  }
}
