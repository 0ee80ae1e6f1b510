package dev.sparkmerge.eval.task;

import java.util.ArrayList;
import java.util.List;

/**
 * How a token sequence longer than the context is split into forward passes so that every token
 * from {@code first} on is scored exactly once.
 *
 * <p>With context length L (the most tokens one pass takes) and stride s = L / 2: window k
 * (k = 0, 1, ...) starts at token k·s, feeds tokens [k·s, min(n − 1, k·s + L)) and so predicts
 * tokens k·s + 1 .. min(n, k·s + L + 1) − 1. It scores the tokens it predicts that no earlier
 * window scored: window 0 from {@code first}, each later window from the end of the previous one.
 * The last window is the first whose predictions reach token n − 1. A sequence of at most L + 1
 * tokens is one window; in every later window each scored token has at least L + 1 − s tokens of
 * context. (lm-eval's rolling windows differ only in aligning the last window to the end.)
 */
final class TokenWindows {
  /** One forward pass: feed tokens [start, end − 1), score tokens [scoreFrom, end). */
  static final class Window {
    final int start;
    final int end;
    final int scoreFrom;

    Window(int start, int end, int scoreFrom) {
      this.start = start;
      this.end = end;
      this.scoreFrom = scoreFrom;
    }

    @Override
    public String toString() {
      return "[" + start + ", " + end + ") scoring from " + scoreFrom;
    }
  }

  private TokenWindows() {}

  /**
   * The windows for a sequence of {@code n} tokens scored from index {@code first} (&gt;= 1)
   * with context length {@code context} (&gt;= 2).
   */
  static List<Window> plan(int n, int first, int context) {
    if (first < 1 || context < 2) {
      throw new IllegalArgumentException("first " + first + ", context " + context);
    }
    int stride = context / 2;
    List<Window> windows = new ArrayList<>();
    int scored = first; // tokens before this one are scored (or context only)
    for (int start = 0; scored < n; start += stride) {
      int end = Math.min(n, start + context + 1);
      if (end > scored) {
        windows.add(new Window(start, end, scored));
        scored = end;
      }
    }
    return windows;
  }
}
