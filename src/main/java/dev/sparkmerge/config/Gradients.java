package dev.sparkmerge.config;

/**
 * mergekit's layer gradients (reference/mergekit.md §2.4): a list of anchor values spread evenly
 * over a slice, evaluated piecewise-linearly at the layer's position {@code t}.
 */
public final class Gradients {
  private Gradients() {}

  /**
   * Position of layer {@code k} (0-based) within a slice of {@code sliceLength} layers:
   * k/(L−1), or 1 for a one-layer slice. Embeddings, the final norm and lm_head use t = 0 instead
   * (the caller decides that). t restarts at 0 for every slice.
   */
  public static double t(int k, int sliceLength) {
    if (sliceLength < 1 || k < 0 || k >= sliceLength) {
      throw new IllegalArgumentException("layer " + k + " outside a slice of " + sliceLength);
    }
    return sliceLength > 1 ? (double) k / (sliceLength - 1) : 1.0;
  }

  /**
   * Value of the gradient {@code anchors} at {@code t}: s = t·(n−1), i0 = ⌊s⌋,
   * i1 = min(n−1, i0+1), f = s − i0, value = (1−f)·v[i0] + f·v[i1], all in double as mergekit
   * does. A one-element list is a constant.
   */
  public static double evaluate(double[] anchors, double t) {
    int n = anchors.length;
    if (n == 0) {
      throw new IllegalArgumentException("empty gradient");
    }
    if (n == 1) {
      return anchors[0];
    }
    double s = t * (n - 1);
    int i0 = (int) s; // truncation toward zero, as Python's int()
    i0 = Math.max(0, Math.min(n - 1, i0));
    int i1 = Math.min(n - 1, i0 + 1);
    double f = s - i0;
    return (1 - f) * anchors[i0] + f * anchors[i1];
  }
}
