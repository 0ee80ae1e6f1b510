package dev.sparkmerge.method;

/**
 * Exact inner products ⟨v_a, v_b⟩ (a ≤ b) of a kernel's vectors, per group of elements (whole
 * tensor, rows or columns). One pass. Enough for slerp, nuslerp, multislerp, karcher and
 * model_stock: their norms, cosines and even karcher's iteration only need these numbers.
 */
final class GramStatistics extends Statistics {
  private static final long serialVersionUID = 1L;

  private final VectorSource source;
  private final Grouping grouping;
  private final int count;
  private ExactSum[][] partial;
  private double[][] gram;

  GramStatistics(VectorSource source, Grouping grouping) {
    this.source = source;
    this.grouping = grouping;
    this.count = source.vectorCount();
    this.partial = new ExactSum[(int) grouping.groups][];
  }

  private int pair(int a, int b) {
    if (a > b) {
      int t = a;
      a = b;
      b = t;
    }
    return a * count - a * (a - 1) / 2 + (b - a);
  }

  private int pairs() {
    return count * (count + 1) / 2;
  }

  @Override
  public boolean isComplete() {
    return gram != null;
  }

  @Override
  public Statistics newPartial() {
    return new GramStatistics(source, grouping);
  }

  @Override
  public void accumulate(Chunk chunk) {
    int n = chunk.length;
    float[][] v = new float[count][];
    for (int i = 0; i < count; i++) {
      v[i] = Scratch.floats(i, n);
    }
    source.vectors(chunk, v);
    int j = 0;
    while (j < n) {
      int g = grouping.groupOf(chunk.start + j);
      ExactSum[] sums = group(g);
      // Consecutive elements of one group (rows) are added in a run; columns change every element.
      int end = j + 1;
      while (end < n && grouping.groupOf(chunk.start + end) == g) {
        end++;
      }
      for (int a = 0; a < count; a++) {
        for (int b = a; b < count; b++) {
          ExactSum s = sums[pair(a, b)];
          if (end - j >= 64) {
            s.addProducts(v[a], v[b], j, end);
          } else {
            float[] va = v[a];
            float[] vb = v[b];
            for (int k = j; k < end; k++) {
              s.addProduct(va[k], vb[k]);
            }
          }
        }
      }
      j = end;
    }
  }

  private ExactSum[] group(int g) {
    ExactSum[] sums = partial[g];
    if (sums == null) {
      sums = ExactSum.zeros(pairs());
      partial[g] = sums;
    }
    return sums;
  }

  @Override
  public void combine(Statistics other) {
    GramStatistics o = (GramStatistics) other;
    for (int g = 0; g < partial.length; g++) {
      if (o.partial[g] != null) {
        ExactSum[] sums = group(g);
        for (int p = 0; p < sums.length; p++) {
          sums[p].add(o.partial[g][p]);
        }
      }
    }
  }

  @Override
  public Statistics finishPass() {
    gram = new double[partial.length][pairs()];
    for (int g = 0; g < partial.length; g++) {
      if (partial[g] != null) {
        for (int p = 0; p < pairs(); p++) {
          gram[g][p] = partial[g][p].value();
        }
      }
    }
    partial = null;
    return this;
  }

  /** ⟨v_a, v_b⟩ over group g, exact then rounded to double. */
  double dot(int group, int a, int b) {
    return gram[group][pair(a, b)];
  }

  int groupOf(long index) {
    return grouping.groupOf(index);
  }
}
