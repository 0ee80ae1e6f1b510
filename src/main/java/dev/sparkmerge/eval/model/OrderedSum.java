package dev.sparkmerge.eval.model;

/**
 * A float32 sum whose order of additions depends on nothing but the length: element i (counted
 * from the start of the range) is added to partial sum i mod {@link #PARTIALS}, each partial in
 * increasing i from +0, and the partials are folded by halves (p[j] += p[j + 8], then + 4, + 2,
 * + 1). The Vector API form ({@link VectorKernels#sum}) keeps 16 / L vectors of partials and so
 * gives the same bits at 128, 256 or 512 bits; a lane reduction ({@code reduceLanes(ADD)}) would
 * not, since its order is unspecified and differs between widths, intrinsic and fallback.
 */
final class OrderedSum {
  /** Partial sums: a multiple of every vector length used (4, 8 and 16 float lanes). */
  static final int PARTIALS = 16;

  private OrderedSum() {}

  /** Σ a[from .. from + n) in the fixed order. */
  static float of(float[] a, int from, int n) {
    float[] p = new float[PARTIALS];
    addTo(p, a, from, 0, n);
    return fold(p);
  }

  /** Adds a[from + i] to p[i mod 16] for i in [first, n), in increasing i. */
  static void addTo(float[] p, float[] a, int from, int first, int n) {
    for (int i = first; i < n; i++) {
      p[i & (PARTIALS - 1)] += a[from + i];
    }
  }

  /** Folds the partials by halves into p[0] and returns it. */
  static float fold(float[] p) {
    for (int half = PARTIALS / 2; half > 0; half /= 2) {
      for (int j = 0; j < half; j++) {
        p[j] += p[j + half];
      }
    }
    return p[0];
  }
}
