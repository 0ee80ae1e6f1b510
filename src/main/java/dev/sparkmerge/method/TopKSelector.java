package dev.sparkmerge.method;

import java.io.Serializable;

/**
 * Exact, chunk-independent selection of the k largest of a tensor's keys (ints in signed order, see
 * {@link SortableKeys}), without sorting. Equal keys at the boundary are kept in increasing flat
 * index until exactly k are kept, so the kept set is a pure function of the data and k.
 *
 * <p>Passes (each a histogram, so partials from chunks add up exactly):
 *
 * <ol>
 *   <li>COARSE: counts of the high 16 key bits. Skips FINE when all keys share their low 16 bits
 *       (bf16-decoded data always does).
 *   <li>FINE: counts of the low 16 bits inside the threshold's coarse bucket; gives the threshold T.
 *   <li>INDEX_COARSE, only when some but not all elements equal to T are kept: counts of T-equal
 *       elements per block of flat indices (at most 65536 blocks).
 *   <li>INDEX_FINE, only when blocks are wider than one element: counts within the boundary block.
 * </ol>
 *
 * The result is the rule {@code key > T || (key == T && index <= lastKeptIndex)}.
 */
public final class TopKSelector implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int BUCKETS = 1 << 16;

  private enum Pass {
    COARSE,
    FINE,
    INDEX_COARSE,
    INDEX_FINE,
    DONE
  }

  private final long numel;
  private final long k;
  private Pass pass;
  private int coarseBucket;
  private long above;
  private long need;
  private long blockWidth;
  private int blockShift;
  private long boundaryBlock;
  private int threshold;
  private long lastKeptIndex;
  // Accumulators of the current pass; allocated on first use so empty partials stay small.
  private long[] counts;
  private int lowOr;
  private int lowAnd = -1;

  /** Selects the k largest of numel keys; k &lt;= 0 keeps none and k &gt;= numel keeps all. */
  public TopKSelector(long numel, long k) {
    this(numel, k, false);
  }

  /**
   * @param exactThreshold find the k-th largest key even when k = numel (for quantiles), instead
   *     of finishing at once with a keep-all rule
   */
  public TopKSelector(long numel, long k, boolean exactThreshold) {
    this.numel = numel;
    this.k = k;
    if (k <= 0) {
      finish(Integer.MAX_VALUE, -1);
    } else if (k > numel || (k == numel && !exactThreshold)) {
      finish(Integer.MIN_VALUE, Long.MAX_VALUE);
    } else {
      pass = Pass.COARSE;
    }
  }

  private TopKSelector(TopKSelector results) {
    numel = results.numel;
    k = results.k;
    pass = results.pass;
    coarseBucket = results.coarseBucket;
    above = results.above;
    need = results.need;
    blockWidth = results.blockWidth;
    blockShift = results.blockShift;
    boundaryBlock = results.boundaryBlock;
    threshold = results.threshold;
    lastKeptIndex = results.lastKeptIndex;
  }

  public long k() {
    return k;
  }

  public boolean isComplete() {
    return pass == Pass.DONE;
  }

  /** An empty accumulator for the current pass. */
  public TopKSelector newPartial() {
    return new TopKSelector(this);
  }

  /**
   * The flat indices [from, to) whose keys the current pass reads: the boundary block in the last
   * index pass, everything otherwise. Callers may skip computing keys elsewhere.
   */
  public long[] neededRange() {
    if (pass == Pass.INDEX_FINE) {
      return new long[] {boundaryBlock << blockShift, (boundaryBlock + 1) << blockShift};
    }
    return new long[] {0, pass == Pass.DONE ? 0 : numel};
  }

  /** Adds keys[0..n) of the elements at flat indices start, start+1, ... */
  public void accumulate(int[] keys, int n, long start) {
    switch (pass) {
      case COARSE:
        accumulateCoarse(keys, n);
        break;
      case FINE:
        accumulateFine(keys, n);
        break;
      case INDEX_COARSE:
        accumulateIndexCoarse(keys, n, start);
        break;
      case INDEX_FINE:
        accumulateIndexFine(keys, n, start);
        break;
      default:
        break;
    }
  }

  // COARSE and FINE count into four interleaved copies of each bucket (slot·4 + i mod 4): data
  // often piles into a few buckets, and consecutive increments of one memory slot form a dependency
  // chain that costs several cycles each. The copies are folded in finishPass.

  private void accumulateCoarse(int[] keys, int n) {
    long[] c = counts(BUCKETS * 4);
    int or = lowOr;
    int and = lowAnd;
    for (int i = 0; i < n; i++) {
      int key = keys[i];
      c[(((key >>> 16) ^ 0x8000) << 2) | (i & 3)]++;
      or |= key;
      and &= key;
    }
    lowOr = or & 0xFFFF;
    lowAnd = and | 0xFFFF0000;
  }

  private void accumulateFine(int[] keys, int n) {
    // Branch-free: keys outside the coarse bucket add 0 (the bucket can hold a large share of a
    // tensor, so a branch would mispredict).
    long[] c = counts(BUCKETS * 4);
    int bucket = coarseBucket;
    for (int i = 0; i < n; i++) {
      int key = keys[i];
      c[((key & 0xFFFF) << 2) | (i & 3)] += ((((key >>> 16) ^ 0x8000) ^ bucket) - 1) >>> 31;
    }
  }

  private void accumulateIndexCoarse(int[] keys, int n, long start) {
    int blocks = (int) ((numel + blockWidth - 1) >>> blockShift);
    long[] c = counts(blocks);
    int t = threshold;
    // Consecutive elements share a block: count a block's run locally, then add once.
    int i = 0;
    while (i < n) {
      long block = (start + i) >>> blockShift;
      int end = (int) Math.min(n, ((block + 1) << blockShift) - start);
      int equal = 0;
      for (int k = i; k < end; k++) {
        equal += (int) ((((keys[k] ^ t) & 0xFFFFFFFFL) - 1) >>> 63); // 1 if equal
      }
      c[(int) block] += equal;
      i = end;
    }
  }

  private void accumulateIndexFine(int[] keys, int n, long start) {
    int width = (int) blockWidth;
    long[] c = counts(width + 1);
    long from = boundaryBlock << blockShift;
    int t = threshold;
    // Only the part of this chunk that overlaps the boundary block matters.
    long lo = Math.max(start, from);
    long hi = Math.min(start + n, from + width);
    for (long j = lo; j < hi; j++) {
      c[keys[(int) (j - start)] == t ? (int) (j - from) : width]++;
    }
  }

  private long[] counts(int size) {
    if (counts == null) {
      counts = new long[size];
    }
    return counts;
  }

  /** Adds another partial of the same pass. */
  public void combine(TopKSelector other) {
    if (pass == Pass.DONE || other.counts == null) {
      return;
    }
    if (counts == null) {
      counts = other.counts.clone();
    } else {
      for (int i = 0; i < counts.length; i++) {
        counts[i] += other.counts[i];
      }
    }
    if (pass == Pass.COARSE) {
      lowOr |= other.lowOr;
      lowAnd &= other.lowAnd;
    }
  }

  /** Ends the pass on the fully combined partial, moving to the next pass or to DONE. */
  public void finishPass() {
    long[] c = counts == null ? new long[BUCKETS] : counts;
    if ((pass == Pass.COARSE || pass == Pass.FINE) && counts != null) {
      c = new long[BUCKETS];
      for (int b = 0; b < BUCKETS; b++) {
        c[b] = counts[b << 2] + counts[(b << 2) + 1] + counts[(b << 2) + 2] + counts[(b << 2) + 3];
      }
    }
    counts = null;
    switch (pass) {
      case COARSE:
        finishCoarse(c);
        break;
      case FINE:
        finishFine(c);
        break;
      case INDEX_COARSE:
        finishIndexCoarse(c);
        break;
      case INDEX_FINE:
        finishIndexFine(c);
        break;
      default:
        break;
    }
  }

  private void finishCoarse(long[] c) {
    long cum = 0;
    int b = BUCKETS - 1;
    for (; b > 0; b--) {
      if (cum + c[b] >= k) {
        break;
      }
      cum += c[b];
    }
    coarseBucket = b;
    above = cum;
    if ((lowOr & 0xFFFF) == (lowAnd & 0xFFFF)) {
      // Every key has the same low half, so the coarse bucket pins the threshold exactly.
      int t = ((b ^ 0x8000) << 16) | (lowOr & 0xFFFF);
      resolveTies(t, c[b]);
    } else {
      pass = Pass.FINE;
    }
  }

  private void finishFine(long[] c) {
    long cum = above;
    int f = BUCKETS - 1;
    for (; f > 0; f--) {
      if (cum + c[f] >= k) {
        break;
      }
      cum += c[f];
    }
    above = cum;
    resolveTies(((coarseBucket ^ 0x8000) << 16) | f, c[f]);
  }

  private void resolveTies(int t, long equal) {
    threshold = t;
    need = k - above;
    if (need >= equal) {
      finish(t, Long.MAX_VALUE);
      return;
    }
    // A power-of-two block width, so the block of an index is a shift; at most 65536 blocks.
    blockShift = 0;
    while ((numel + (1L << blockShift) - 1) >>> blockShift > BUCKETS) {
      blockShift++;
    }
    blockWidth = 1L << blockShift;
    pass = Pass.INDEX_COARSE;
  }

  private void finishIndexCoarse(long[] c) {
    long cum = 0;
    int b = 0;
    for (; b < c.length - 1; b++) {
      if (cum + c[b] >= need) {
        break;
      }
      cum += c[b];
    }
    need -= cum;
    if (blockWidth == 1) {
      finish(threshold, b);
    } else {
      boundaryBlock = b;
      pass = Pass.INDEX_FINE;
    }
  }

  private void finishIndexFine(long[] c) {
    long cum = 0;
    int p = 0;
    for (; p < c.length - 2; p++) {
      cum += c[p];
      if (cum >= need) {
        break;
      }
    }
    finish(threshold, (boundaryBlock << blockShift) + p);
  }

  private void finish(int t, long last) {
    threshold = t;
    lastKeptIndex = last;
    pass = Pass.DONE;
  }

  /** Threshold key T of the finished selection. */
  public int threshold() {
    requireDone();
    return threshold;
  }

  /** Largest flat index at which a key equal to T is still kept. */
  public long lastKeptIndex() {
    requireDone();
    return lastKeptIndex;
  }

  public boolean keeps(int key, long index) {
    return key > threshold || (key == threshold && index <= lastKeptIndex);
  }

  private void requireDone() {
    if (pass != Pass.DONE) {
      throw new IllegalStateException("selection not finished: pass " + pass);
    }
  }
}
