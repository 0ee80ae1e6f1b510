package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.method.Simd;

/**
 * ΔW of one {@link LoraTarget} produced on demand for any flat element range of the base tensor,
 * in the base tensor's stored orientation, without materialising the matrix. Holds only the two
 * factors (r × (in + out) floats).
 *
 * <p>Both orientations reduce to one kernel: stored element (p, q) = s · Σ_k L[p,k] · R[k,q], with
 * L = B, R = A when ΔW is stored as is (out × in), and L = Aᵀ, R = Bᵀ when it is stored transposed
 * (in × out). R is kept row-major so the innermost loop runs over contiguous q. With the Vector
 * API ({@link SimdLora}, float scales) a vector of q keeps its rank sum in a register through all r
 * steps: 790 M elements/s for r = 16 on 2048 × 2048 against 160 M/s for the scalar r passes over
 * the row, which HotSpot does not vectorise (measured 2026-11-26, one core).
 *
 * <p>Precision. PEFT computes {@code (B @ A) * s}: an fp32 matmul, then one fp32 multiply by
 * (float) s (reference §3.1). Here the rank sum is accumulated in float32 in the fixed order
 * k = 0..r-1, then multiplied by s and rounded once: when s is exactly a float (alpha / r with
 * ordinary alpha and r always is) that is exactly PEFT's fp32 multiply; otherwise (rsLoRA's
 * alpha / √r) the double s is used, which is more accurate than PEFT's rounded s. Float rather
 * than double accumulation is a measured choice: on the shared 2-core build machine (load ~18,
 * r = 16, 2048-wide rows, best of 50 interleaved runs) the same loop ran at 122–169 M elements/s
 * with float factors and float sums, 109–118 M/s with double factors and sums (and twice the
 * factor memory, which matters when a task holds many adapters' factors), and 80 M/s with float
 * factors summed in double (the conversions defeat vectorisation). The float error is at most
 * (r + 2)·2⁻²⁴·s·Σ_k|B[o,k]·A[k,i]|, the same class as PEFT's own fp32 matmul; the tests check
 * every element of the real adapters against float64 within that bound. The value of an element
 * depends only on (p, q), never on the requested range, so any chunking gives the same bits.
 *
 * <p>Not thread-safe ({@link #addTo} uses a scratch row); use one instance per task thread.
 */
public final class LoraDelta {
  private final LoraTarget target;
  private final int rank;
  private final int rows;
  private final int cols;
  private final float[] left;
  private final float[] right;
  private final double scale;
  private final boolean floatScale;
  private float[] scratch;

  private LoraDelta(LoraTarget target, float[] a, float[] b) {
    this.target = target;
    this.rank = target.rank();
    int in = Math.toIntExact(target.inFeatures());
    int out = Math.toIntExact(target.outFeatures());
    if (a.length != (long) rank * in || b.length != (long) out * rank) {
      throw new IllegalArgumentException(target.modulePath() + ": factor sizes " + a.length
          + " and " + b.length + " do not match r=" + rank + ", in=" + in + ", out=" + out);
    }
    this.scale = target.scale();
    this.floatScale = (double) (float) scale == scale;
    if (target.transposed()) {
      rows = in;
      cols = out;
      left = new float[in * rank];   // Aᵀ: in × r
      for (int k = 0; k < rank; k++) {
        for (int i = 0; i < in; i++) {
          left[i * rank + k] = a[k * in + i];
        }
      }
      right = new float[rank * out]; // Bᵀ: r × out
      for (int o = 0; o < out; o++) {
        for (int k = 0; k < rank; k++) {
          right[k * out + o] = b[o * rank + k];
        }
      }
    } else {
      rows = out;
      cols = in;
      left = b;  // B: out × r
      right = a; // A: r × in
    }
  }

  /** Reads the target's A and B from its adapter file (small: r × in and out × r). */
  public static LoraDelta load(LoraTarget t, CheckpointFs fs) {
    try (SafetensorsFile f = FactorReader.open(fs, t.adapterFile())) {
      return load(t, f);
    }
  }

  /** Like {@link #load(LoraTarget, CheckpointFs)} with an adapter file the caller keeps open. */
  public static LoraDelta load(LoraTarget t, SafetensorsFile adapterFile) {
    float[] a = FactorReader.read(adapterFile, t.a(), t.dataStart());
    float[] b = FactorReader.read(adapterFile, t.b(), t.dataStart());
    return new LoraDelta(t, a, b);
  }

  /** From factors already in memory: A row-major r × in, B row-major out × r (not copied). */
  public static LoraDelta of(LoraTarget t, float[] a, float[] b) {
    return new LoraDelta(t, a, b);
  }

  public LoraTarget target() {
    return target;
  }

  /** Elements of ΔW (= of the base tensor). */
  public long numel() {
    return (long) rows * cols;
  }

  /** dst[i] = ΔW_stored[start + i] for i in [0, n), row-major over the base shape. */
  public void fill(long start, int n, float[] dst) {
    fill(start, n, dst, 0);
  }

  /** dst[off + i] = ΔW_stored[start + i] for i in [0, n). */
  public void fill(long start, int n, float[] dst, int off) {
    checkRange(start, n, dst, off);
    long idx = start;
    long end = start + n;
    int o = off;
    while (idx < end) {
      int p = (int) (idx / cols);
      int q0 = (int) (idx - (long) p * cols);
      int len = (int) Math.min(cols - q0, end - idx);
      segment(p, q0, len, dst, o);
      idx += len;
      o += len;
    }
  }

  /** dst[i] += ΔW_stored[start + i] for i in [0, n): the engine's "base + ΔW" input. */
  public void addTo(long start, int n, float[] dst) {
    addTo(start, n, dst, 0);
  }

  /** dst[off + i] += ΔW_stored[start + i]; each element is fill()'s value added once in float. */
  public void addTo(long start, int n, float[] dst, int off) {
    checkRange(start, n, dst, off);
    if (scratch == null) {
      scratch = new float[cols];
    }
    long idx = start;
    long end = start + n;
    int o = off;
    while (idx < end) {
      int p = (int) (idx / cols);
      int q0 = (int) (idx - (long) p * cols);
      int len = (int) Math.min(cols - q0, end - idx);
      segment(p, q0, len, scratch, 0);
      for (int j = 0; j < len; j++) {
        dst[o + j] += scratch[j];
      }
      idx += len;
      o += len;
    }
  }

  /**
   * One stored row p, columns [q0, q0 + len): a rank-r axpy with the scale folded into the last
   * step, which saves a pass over dst and rounds exactly as a separate "sum, then × s" would
   * ((sum + l·R) is a float expression either way).
   */
  private void segment(int p, int q0, int len, float[] dst, int o) {
    int lb = p * rank;
    float l0 = left[lb];
    if (rank == 1) {
      scaleInto(dst, o, len, l0, q0);
      return;
    }
    if (floatScale && Simd.ENABLED) {
      int done = SimdLora.segment(left, lb, rank, right, cols, q0, len, (float) scale, dst, o);
      q0 += done;
      o += done;
      len -= done;
    }
    for (int j = 0; j < len; j++) {
      dst[o + j] = l0 * right[q0 + j];
    }
    for (int k = 1; k < rank - 1; k++) {
      float l = left[lb + k];
      int rb = k * cols + q0;
      for (int j = 0; j < len; j++) {
        dst[o + j] += l * right[rb + j];
      }
    }
    float l = left[lb + rank - 1];
    int rb = (rank - 1) * cols + q0;
    if (floatScale) {
      float s = (float) scale;
      for (int j = 0; j < len; j++) {
        dst[o + j] = (dst[o + j] + l * right[rb + j]) * s;
      }
    } else {
      for (int j = 0; j < len; j++) {
        dst[o + j] = (float) ((dst[o + j] + l * right[rb + j]) * scale);
      }
    }
  }

  /** Rank 1: dst = (l0·R[0, q]) · s. */
  private void scaleInto(float[] dst, int o, int len, float l0, int q0) {
    if (floatScale) {
      float s = (float) scale;
      for (int j = 0; j < len; j++) {
        dst[o + j] = (l0 * right[q0 + j]) * s;
      }
    } else {
      for (int j = 0; j < len; j++) {
        dst[o + j] = (float) ((l0 * right[q0 + j]) * scale);
      }
    }
  }

  private void checkRange(long start, int n, float[] dst, int off) {
    if (start < 0 || n < 0 || start + n > numel() || off < 0 || off + n > dst.length) {
      throw new IndexOutOfBoundsException("elements [" + start + ", " + (start + n) + ") of "
          + target.baseTensorName() + " (" + numel() + " elements) into " + dst.length
          + " floats at " + off);
    }
  }
}
