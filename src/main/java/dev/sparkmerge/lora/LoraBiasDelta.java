package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsFile;

/**
 * The lora_bias delta s·b_B of one {@link LoraBiasTarget} (reference §3.3), computed once: a bias
 * is one row. Each element is b_B[i]·s rounded once to float (PEFT's fp32 multiply when s is a
 * float).
 */
public final class LoraBiasDelta {
  private final LoraBiasTarget target;
  private final float[] delta;

  private LoraBiasDelta(LoraBiasTarget target, float[] bias) {
    this.target = target;
    this.delta = new float[bias.length];
    for (int i = 0; i < bias.length; i++) {
      delta[i] = (float) (bias[i] * target.scale());
    }
  }

  public static LoraBiasDelta load(LoraBiasTarget t, CheckpointFs fs) {
    try (SafetensorsFile f = FactorReader.open(fs, t.adapterFile())) {
      return new LoraBiasDelta(t, FactorReader.read(f, t.biasB(), t.dataStart()));
    }
  }

  /** From b_B already in memory (not copied). */
  public static LoraBiasDelta of(LoraBiasTarget t, float[] biasB) {
    return new LoraBiasDelta(t, biasB);
  }

  public LoraBiasTarget target() {
    return target;
  }

  /** dst[i] = s·b_B[start + i]. */
  public void fill(long start, int n, float[] dst) {
    System.arraycopy(delta, Math.toIntExact(start), dst, 0, n);
  }

  /** dst[i] += s·b_B[start + i]. */
  public void addTo(long start, int n, float[] dst) {
    int s = Math.toIntExact(start);
    for (int i = 0; i < n; i++) {
      dst[i] += delta[s + i];
    }
  }
}
