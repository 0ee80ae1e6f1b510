package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Exact top-k by histogram and collecting passes (partials compacted or not, as between tasks) against a sort with the documented tie rule
 * (lower index first). Every case runs through every route: collecting limits of 0 (histogram and
 * index passes only), 1 and 40 (collecting only small buckets or tie sets) and the default.
 */
class TopKSelectorTest {
  private static final int[] LIMITS = {0, 1, 40, TopKSelector.COLLECT_LIMIT};

  /** Runs the selector over keys in chunks of {@code chunk}, one partial per chunk. */
  static TopKSelector select(int[] keys, long k, int chunk, boolean exact) {
    return select(keys, k, chunk, exact, TopKSelector.COLLECT_LIMIT);
  }

  static TopKSelector select(int[] keys, long k, int chunk, boolean exact, int collectLimit) {
    return select(keys, k, chunk, exact, collectLimit, false);
  }

  /** As above; oneCopy: the histograms count into one copy per bucket instead of four. */
  static TopKSelector select(int[] keys, long k, int chunk, boolean exact, int collectLimit,
      boolean oneCopy) {
    TopKSelector s = new TopKSelector(keys.length, k, exact, collectLimit);
    if (oneCopy) {
      s.useOneCopy();
    }
    int passes = 0;
    while (!s.isComplete()) {
      TopKSelector total = s.newPartial();
      for (int start = 0; start < keys.length; start += chunk) {
        int n = Math.min(chunk, keys.length - start);
        TopKSelector p = s.newPartial();
        int half = n / 2; // accumulate, compact, accumulate again: the partial expands itself
        p.accumulate(Arrays.copyOfRange(keys, start, start + half), half, start);
        p.compact();
        p.accumulate(Arrays.copyOfRange(keys, start + half, start + n), n - half, start + half);
        if ((start / chunk) % 3 != 1) {
          p.compact(); // as shipped between tasks; mixes both forms in combine
        }
        total.combine(p);
      }
      total.finishPass();
      s = total;
      assertTrue(++passes <= 4, "at most four passes");
    }
    return s;
  }

  /** The expected kept set: sort by key descending, then index ascending, take k. */
  static boolean[] expected(int[] keys, int k) {
    Integer[] idx = new Integer[keys.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, Comparator.comparingInt((Integer i) -> keys[i]).reversed()
        .thenComparingInt(i -> i));
    boolean[] keep = new boolean[keys.length];
    for (int r = 0; r < k; r++) {
      keep[idx[r]] = true;
    }
    return keep;
  }

  static void assertSelects(int[] keys, int k, int chunk) {
    boolean[] want = expected(keys, k);
    for (int limit : LIMITS) {
      for (boolean oneCopy : new boolean[] {false, true}) {
        TopKSelector s = select(keys, k, chunk, false, limit, oneCopy);
        int kept = 0;
        for (int j = 0; j < keys.length; j++) {
          assertEquals(want[j], s.keeps(keys[j], j), "index " + j + " (k=" + k
              + ", collect limit " + limit + (oneCopy ? ", one copy" : "") + ")");
          kept += s.keeps(keys[j], j) ? 1 : 0;
        }
        assertEquals(k, kept);
      }
    }
  }

  /** Passes the selector needs with the given collecting limit. */
  static int passes(int[] keys, long k, int collectLimit) {
    TopKSelector s = new TopKSelector(keys.length, k, false, collectLimit);
    int passes = 0;
    while (!s.isComplete()) {
      TopKSelector p = s.newPartial();
      p.accumulate(keys, keys.length, 0);
      p.finishPass();
      s = p;
      passes++;
    }
    return passes;
  }

  @Test
  void collectingFinishesInTwoPassesWhereHistogramsNeedFour() {
    // Distinct low bits (FINE needed) and ties at the threshold (index passes needed).
    int[] keys = new int[200_000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = 0x3F800000 | (i % 5);
    }
    assertEquals(4, passes(keys, 100_001, 0));
    assertEquals(2, passes(keys, 100_001, TopKSelector.COLLECT_LIMIT));
    // A bucket too large to collect but few ties: FINE, then COLLECT_EQUAL instead of two passes.
    assertEquals(3, passes(keys, 100_001, 40_000));
  }

  @Test
  void distinctFloatMagnitudes() {
    Random r = new Random(1);
    int[] keys = new int[5000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = SortableKeys.magnitude((float) r.nextGaussian());
    }
    for (int k : new int[] {1, 17, 2500, 4999}) {
      assertSelects(keys, k, 333);
    }
  }

  @Test
  void heavyTiesUseTheIndexPassesAndKeepLowerIndicesFirst() {
    Random r = new Random(2);
    int[] keys = new int[3000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = SortableKeys.magnitude(TestData.roundToBf16((float) (r.nextInt(5) * 0.25)));
    }
    for (int k : new int[] {1, 599, 1500, 2999}) {
      assertSelects(keys, k, 7);
    }
  }

  @Test
  void tiesInTensorsWiderThan65536UseBlockedIndexPasses() {
    // 200 000 elements: index blocks are 4 wide, so the fourth pass (INDEX_FINE) runs.
    int[] keys = new int[200_000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i % 3;
    }
    assertSelects(keys, 100_001, 4096);
    TopKSelector s = select(keys, 100_001, 4096, false, 0);
    // 66 666 keys equal 2 (all kept), then the first 33 335 of the keys equal to 1 (at 1, 4, 7, ...).
    assertEquals(1, s.threshold());
    assertEquals(1 + 3 * (33_335 - 1), s.lastKeptIndex());
  }

  @Test
  void signedKeysOrderLikeFloats() {
    float[] values = {-3f, -0.0f, 0.0f, 1e-40f, -1e-40f, 2.5f, Float.NEGATIVE_INFINITY, 7f, -1f};
    int[] keys = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      keys[i] = SortableKeys.signed(values[i]);
      assertEquals(Float.floatToRawIntBits(values[i]),
          Float.floatToRawIntBits(SortableKeys.fromSigned(keys[i])));
    }
    for (int k = 1; k < values.length; k++) {
      assertSelects(keys, k, 2);
    }
    for (int limit : LIMITS) {
      TopKSelector min = select(keys, values.length, 3, true, limit);
      assertEquals(Float.NEGATIVE_INFINITY, SortableKeys.fromSigned(min.threshold()));
    }
  }

  @Test
  void zeroKeepsNoneAndNumelKeepsAll() {
    int[] keys = {5, 5, 1};
    TopKSelector none = new TopKSelector(3, 0);
    TopKSelector all = new TopKSelector(3, 3);
    for (int j = 0; j < 3; j++) {
      assertEquals(false, none.keeps(keys[j], j));
      assertEquals(true, all.keeps(keys[j], j));
    }
  }
}
