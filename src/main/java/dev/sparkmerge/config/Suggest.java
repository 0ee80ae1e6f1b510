package dev.sparkmerge.config;

import java.util.Collection;

/** Finds the valid name a user most likely meant, for "did you mean" hints. */
final class Suggest {
  private Suggest() {}

  /**
   * The candidate with the smallest edit distance to {@code given}, or null when nothing is close
   * enough to be a plausible typo (distance above a third of the longer name, at least 2), so we
   * never suggest something unrelated ('base_model' is not a typo of 'model').
   */
  static String closest(String given, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(given.toLowerCase(), c.toLowerCase());
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    if (best == null || bestDistance > Math.max(2, Math.max(given.length(), best.length()) / 3)) {
      return null;
    }
    return best;
  }

  /** " Did you mean 'x'?" or the empty string. */
  static String didYouMean(String given, Collection<String> candidates) {
    String c = closest(given, candidates);
    return c == null ? "" : " Did you mean '" + c + "'?";
  }

  /** Optimal string alignment distance: Levenshtein plus adjacent transpositions ("desnity"). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[a.length()][b.length()];
  }
}
