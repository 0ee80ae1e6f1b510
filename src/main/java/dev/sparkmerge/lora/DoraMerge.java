package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsFile;

/**
 * DoRA merge of one module into its base tensor (reference §3.4), in two passes over the base
 * tensor's chunks so no pass holds the tensor:
 *
 * <ol>
 *   <li>{@link #accumulate}: V = W + ΔW per chunk, squares summed per output feature into a
 *       {@link DoraNorms} (combinable across chunks and tasks);
 *   <li>{@link #factors} once, then {@link #merge} per chunk: W' = (m_j / ‖V_j‖) · V.
 * </ol>
 *
 * Output feature j is a stored row for Linear (out × in) and a stored column when ΔW is stored
 * transposed: a GPT-2 Conv1D (in × out: PEFT transposes, scales rows, transposes back) and an
 * embedding (num_embeddings × dim: PEFT takes the norm per embedding dimension over all tokens).
 *
 * <p>Arithmetic as PEFT's: V in float32, factor = m / n in float32, W' = factor · V in float32;
 * only the norm is more accurate (an exact sum of squares instead of an fp32 reduction). A zero
 * row of V (norm 0) stays zero, where PEFT would produce NaN from 0 · (m / 0).
 *
 * <p>Several DoRA adapters on one tensor are not combined here: each norm must be taken against
 * the unmerged base (reference §3.4), which this class does when given the base values.
 */
public final class DoraMerge {
  private final LoraDelta delta;
  private final float[] magnitude;
  private final boolean perColumn;
  private final int cols;
  private float[] scratch;

  private DoraMerge(LoraDelta delta, float[] magnitude) {
    LoraTarget t = delta.target();
    if (!t.dora()) {
      throw new IllegalArgumentException(t.modulePath() + " is not a DoRA module");
    }
    if (magnitude.length != t.outFeatures()) {
      throw new IllegalArgumentException(t.modulePath() + ": " + magnitude.length
          + " magnitudes for " + t.outFeatures() + " output features");
    }
    this.delta = delta;
    this.magnitude = magnitude;
    this.perColumn = t.transposed();
    this.cols = Math.toIntExact(t.baseShape()[1]);
  }

  /** Reads A, B and the magnitude vector of a DoRA target. */
  public static DoraMerge load(LoraTarget t, CheckpointFs fs) {
    try (SafetensorsFile f = FactorReader.open(fs, t.adapterFile())) {
      LoraDelta d = LoraDelta.load(t, f);
      return new DoraMerge(d, FactorReader.read(f, t.magnitude(), t.dataStart()));
    }
  }

  /** From a loaded delta and the magnitude vector m (out elements, not copied). */
  public static DoraMerge of(LoraDelta delta, float[] magnitude) {
    return new DoraMerge(delta, magnitude);
  }

  public LoraDelta delta() {
    return delta;
  }

  /** An empty statistics accumulator for this module. */
  public DoraNorms newNorms() {
    return new DoraNorms(magnitude.length);
  }

  /**
   * Pass 1: adds the squares of V = W + ΔW for elements [start, start + n) of the stored tensor,
   * given the base values {@code base[0..n)} (not modified).
   */
  public void accumulate(long start, int n, float[] base, DoraNorms into) {
    float[] v = scratch(n);
    System.arraycopy(base, 0, v, 0, n);
    delta.addTo(start, n, v);
    for (int i = 0; i < n; i++) {
      into.addSquare(channel(start + i), v[i]);
    }
  }

  /** m_j / ‖V_j‖ per output feature, rounded to float as PEFT's fp32 division; 0 for a zero norm. */
  public float[] factors(DoraNorms norms) {
    double[] sq = norms.rowNormsSquared();
    float[] f = new float[sq.length];
    for (int j = 0; j < sq.length; j++) {
      float norm = (float) Math.sqrt(sq[j]);
      f[j] = norm == 0f ? 0f : magnitude[j] / norm;
    }
    return f;
  }

  /**
   * Pass 2: replaces {@code values[0..n)}, the base values of elements [start, start + n), with
   * the merged W' = factor_j · (W + ΔW).
   */
  public void merge(long start, int n, float[] values, float[] factors) {
    delta.addTo(start, n, values);
    for (int i = 0; i < n; i++) {
      values[i] *= factors[channel(start + i)];
    }
  }

  private int channel(long flat) {
    return perColumn ? (int) (flat % cols) : (int) (flat / cols);
  }

  private float[] scratch(int n) {
    if (scratch == null || scratch.length < n) {
      scratch = new float[n];
    }
    return scratch;
  }
}
