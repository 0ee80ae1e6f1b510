package dev.sparkmerge.eval.task;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A sum of doubles without rounding error until it is read: the exact sum is kept as a short list
 * of non-overlapping partial sums (Shewchuk's method, as in Python's math.fsum), and {@link
 * #value()} rounds it once, to nearest. Because the exact sum does not depend on the order of
 * additions, neither does the result: totals combined from any slicing of the examples, in any
 * order, give the same bits. Non-finite terms (a model that produced NaN or infinite logits) make
 * the value NaN or infinite, as a plain sum would.
 */
final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Non-overlapping partials in increasing magnitude; only the first {@code size} are used. */
  private double[] partials = new double[4];
  private int size;
  /** Sum of the non-finite terms (0 if there were none). */
  private double nonFinite;

  void add(double x) {
    if (!Double.isFinite(x)) {
      nonFinite += x;
      return;
    }
    int kept = 0;
    for (int j = 0; j < size; j++) {
      double y = partials[j];
      if (Math.abs(x) < Math.abs(y)) {
        double t = x;
        x = y;
        y = t;
      }
      double hi = x + y;
      double lo = y - (hi - x); // exact: hi + lo == x + y (|x| >= |y|)
      if (lo != 0.0) {
        partials[kept++] = lo;
      }
      x = hi;
    }
    if (!Double.isFinite(x)) { // finite terms whose sum overflows
      nonFinite += x;
      size = 0;
      return;
    }
    if (kept == partials.length) {
      partials = Arrays.copyOf(partials, kept * 2);
    }
    partials[kept++] = x;
    size = kept;
  }

  void addAll(ExactSum other) {
    // A copy, since other may be this.
    double[] terms = Arrays.copyOf(other.partials, other.size);
    double otherNonFinite = other.nonFinite;
    for (double t : terms) {
      add(t);
    }
    nonFinite += otherNonFinite;
  }

  /** The exact sum rounded to the nearest double (ties to even). */
  double value() {
    if (nonFinite != 0.0 || Double.isNaN(nonFinite)) {
      return nonFinite;
    }
    if (size == 0) {
      return 0.0;
    }
    int n = size;
    double hi = partials[--n];
    double lo = 0.0;
    // Add partials from the largest down while the sum stays exact.
    while (n > 0) {
      double x = hi;
      double y = partials[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo != 0.0) {
        break;
      }
    }
    // hi + lo is exact; if lo is exactly half an ulp of hi, the rest (same sign as lo) decides
    // the rounding direction that x + y, rounding half to even, may have got wrong.
    if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
      double y = lo * 2.0;
      double x = hi + y;
      if (y == x - hi) {
        hi = x;
      }
    }
    return hi;
  }
}
