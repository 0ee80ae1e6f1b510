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
 *   <li>COARSE: counts of the high 16 key bits; gives the coarse bucket holding the threshold T.
 *   <li>COLLECT, when that bucket holds at most {@code collectLimit} elements (the usual case):
 *       the flat index and low 16 bits of every element in it. That list alone gives T and, when
 *       only some elements equal to T are kept, the exact last kept index — so two passes suffice.
 * </ol>
 *
 * When the bucket is larger, the histogram route takes over:
 *
 * <ol>
 *   <li>FINE: counts of the low 16 bits inside the coarse bucket; gives T. Skipped when all keys
 *       share their low 16 bits (then the coarse bucket pins T).
 *   <li>COLLECT_EQUAL, when some but not all elements equal to T are kept and there are at most
 *       {@code collectLimit} of them: their flat indices, which give the last kept index.
 *   <li>Otherwise INDEX_COARSE: counts of T-equal elements per block of flat indices (at most
 *       65536 blocks), then INDEX_FINE when blocks are wider than one element: counts within the
 *       boundary block.
 * </ol>
 *
 * Collected lists are sets (merged by concatenation, ordered by index when the pass finishes), so
 * every route gives the same result for any chunking. The result is the rule
 * {@code key > T || (key == T && index <= lastKeptIndex)}.
 */
public final class TopKSelector implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int BUCKETS = 1 << 16;
  /** Default most elements a collecting pass gathers: 2 Mi entries, 16 MiB per selector. */
  static final int COLLECT_LIMIT = 1 << 21;

  private enum Pass {
    COARSE,
    COLLECT,
    FINE,
    COLLECT_EQUAL,
    INDEX_COARSE,
    INDEX_FINE,
    DONE
  }

  private final long numel;
  private final long k;
  private final int collectLimit;
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
  /** Set by {@link #compact}: counts hold buckets [countsOffset, countsOffset + length), folded. */
  private boolean compacted;
  private int countsOffset;
  private int denseLength;
  private int lowOr;
  private int lowAnd = -1;
  /** COARSE and FINE count into 2^copyShift interleaved copies of each bucket (see below). */
  private int copyShift = 2;
  /** COLLECT / COLLECT_EQUAL: {@code index << 16 | low 16 key bits} of the gathered elements. */
  private long[] collected;
  private int collectedCount;

  /** Selects the k largest of numel keys; k &lt;= 0 keeps none and k &gt;= numel keeps all. */
  public TopKSelector(long numel, long k) {
    this(numel, k, false);
  }

  /**
   * @param exactThreshold find the k-th largest key even when k = numel (for quantiles), instead
   *     of finishing at once with a keep-all rule
   */
  public TopKSelector(long numel, long k, boolean exactThreshold) {
    this(numel, k, exactThreshold, COLLECT_LIMIT);
  }

  /** As above, gathering at most {@code collectLimit} elements in a pass (tests force routes). */
  TopKSelector(long numel, long k, boolean exactThreshold, int collectLimit) {
    this.numel = numel;
    this.k = k;
    this.collectLimit = collectLimit;
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
    collectLimit = results.collectLimit;
    pass = results.pass;
    coarseBucket = results.coarseBucket;
    above = results.above;
    need = results.need;
    blockWidth = results.blockWidth;
    blockShift = results.blockShift;
    boundaryBlock = results.boundaryBlock;
    threshold = results.threshold;
    lastKeptIndex = results.lastKeptIndex;
    copyShift = results.copyShift;
  }

  /**
   * Counts into one copy of each bucket instead of four: a partial histogram takes 512 KiB instead
   * of 2 MiB, for statistics that hold one selector per model of many (a TIES merge of 100
   * adapters ran out of a 1 GiB heap with four). Call before anything is accumulated.
   */
  void useOneCopy() {
    copyShift = 0;
  }

  public long k() {
    return k;
  }

  public boolean isComplete() {
    return pass == Pass.DONE;
  }

  /** Whether the current pass is the first: a histogram of every key that does not depend on k. */
  public boolean inFirstPass() {
    return pass == Pass.COARSE;
  }

  /** This partial becomes a copy of {@code other}'s first-pass histogram (same keys added). */
  void adoptFirstPass(TopKSelector other) {
    if (pass != Pass.COARSE || other.pass != Pass.COARSE || other.compacted) {
      throw new IllegalStateException("only uncompacted first-pass partials can be shared");
    }
    counts = other.counts == null ? null : other.counts.clone();
    lowOr = other.lowOr;
    lowAnd = other.lowAnd;
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
      case COLLECT:
        collect(keys, n, start, 0xFFFF0000, (coarseBucket ^ 0x8000) << 16);
        break;
      case COLLECT_EQUAL:
        collect(keys, n, start, -1, threshold);
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

  // COARSE and FINE count into four interleaved copies of each bucket (slot·4 + i mod 4; one copy
  // after useOneCopy): data often piles into a few buckets, and consecutive increments of one
  // memory slot form a dependency chain that costs several cycles each. The copies are folded in
  // finishPass.

  private void accumulateCoarse(int[] keys, int n) {
    long[] c = counts(BUCKETS << copyShift);
    int shift = copyShift;
    int copy = (1 << shift) - 1;
    int or = lowOr;
    int and = lowAnd;
    for (int i = 0; i < n; i++) {
      int key = keys[i];
      c[(((key >>> 16) ^ 0x8000) << shift) | (i & copy)]++;
      or |= key;
      and &= key;
    }
    lowOr = or & 0xFFFF;
    lowAnd = and | 0xFFFF0000;
  }

  private void accumulateFine(int[] keys, int n) {
    // Branch-free: keys outside the coarse bucket add 0 (the bucket can hold a large share of a
    // tensor, so a branch would mispredict).
    long[] c = counts(BUCKETS << copyShift);
    int shift = copyShift;
    int copy = (1 << shift) - 1;
    int bucket = coarseBucket;
    for (int i = 0; i < n; i++) {
      int key = keys[i];
      c[((key & 0xFFFF) << shift) | (i & copy)] += ((((key >>> 16) ^ 0x8000) ^ bucket) - 1) >>> 31;
    }
  }

  /** Gathers the elements whose key masked with {@code mask} equals {@code match}. */
  private void collect(int[] keys, int n, long start, int mask, int match) {
    for (int i = 0; i < n; i++) {
      if (Simd.ENABLED) { // skips whole vectors without a match
        i = SimdTaskVector.nextMatch(keys, i, n, mask, match);
        if (i == n) {
          break;
        }
      }
      int key = keys[i];
      if ((key & mask) == match) { // a small share of the keys: the branch predicts well
        if (collected == null || collectedCount == collected.length) {
          collected = java.util.Arrays.copyOf(collected == null ? new long[0] : collected,
              Math.max(1024, collectedCount * 2));
        }
        collected[collectedCount++] = (start + i) << 16 | (key & 0xFFFF);
      }
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
    if (compacted) { // accumulating again after compact(): back to the accumulation layout
      long[] d = dense();
      compacted = false;
      counts = new long[size];
      boolean interleaved = pass == Pass.COARSE || pass == Pass.FINE;
      for (int b = 0; b < d.length; b++) {
        counts[interleaved ? b << copyShift : b] = d[b];
      }
    }
    if (counts == null) {
      counts = new long[size];
    }
    return counts;
  }

  /**
   * Shrinks this partial before it travels between tasks: folds the interleaved copies and keeps
   * only the range of non-zero counts — a tensor's magnitudes fill a few thousand of the 65536
   * buckets, so a 2 MiB histogram becomes tens of KiB (a merge of N adapters ships N per tensor).
   * {@link #accumulate}, {@link #combine} and {@link #finishPass} accept both forms (accumulating
   * into a compacted partial expands it again).
   */
  public void compact() {
    if (counts == null || compacted) {
      return;
    }
    long[] dense = dense();
    int lo = 0;
    while (lo < dense.length && dense[lo] == 0) {
      lo++;
    }
    int hi = dense.length - 1;
    while (hi >= lo && dense[hi] == 0) {
      hi--;
    }
    denseLength = dense.length;
    countsOffset = lo;
    counts = java.util.Arrays.copyOfRange(dense, lo, Math.max(lo, hi + 1));
    compacted = true;
  }

  /** The counts of this pass, one per bucket or block (copies folded, compaction undone). */
  private long[] dense() {
    if (compacted) {
      long[] d = new long[denseLength];
      System.arraycopy(counts, 0, d, countsOffset, counts.length);
      return d;
    }
    if (pass == Pass.COARSE || pass == Pass.FINE) {
      long[] d = new long[BUCKETS];
      int copies = 1 << copyShift;
      for (int b = 0; b < BUCKETS; b++) {
        long sum = 0;
        for (int c = 0; c < copies; c++) {
          sum += counts[(b << copyShift) + c];
        }
        d[b] = sum;
      }
      return d;
    }
    return counts;
  }

  /** Adds another partial of the same pass. */
  public void combine(TopKSelector other) {
    if (other.collectedCount > 0) {
      long[] mine = collected == null ? new long[0] : collected;
      collected = java.util.Arrays.copyOf(mine, collectedCount + other.collectedCount);
      System.arraycopy(other.collected, 0, collected, collectedCount, other.collectedCount);
      collectedCount += other.collectedCount;
    }
    if (pass == Pass.DONE || other.counts == null) {
      return;
    }
    if (pass == Pass.COARSE) {
      lowOr |= other.lowOr;
      lowAnd &= other.lowAnd;
    }
    if (counts == null) {
      counts = other.counts.clone();
      compacted = other.compacted;
      countsOffset = other.countsOffset;
      denseLength = other.denseLength;
    } else if (compacted || other.compacted) {
      compact();
      other.compact();
      addCompacted(other);
    } else {
      for (int i = 0; i < counts.length; i++) {
        counts[i] += other.counts[i];
      }
    }
  }

  /** Both compacted: the sum over the union of their ranges. */
  private void addCompacted(TopKSelector other) {
    if (other.counts.length == 0) {
      return;
    }
    if (counts.length == 0) {
      counts = other.counts.clone();
      countsOffset = other.countsOffset;
      return;
    }
    int lo = Math.min(countsOffset, other.countsOffset);
    int hi = Math.max(countsOffset + counts.length, other.countsOffset + other.counts.length);
    long[] sum = new long[hi - lo];
    for (int i = 0; i < counts.length; i++) {
      sum[countsOffset - lo + i] += counts[i];
    }
    for (int i = 0; i < other.counts.length; i++) {
      sum[other.countsOffset - lo + i] += other.counts[i];
    }
    counts = sum;
    countsOffset = lo;
  }

  /** Ends the pass on the fully combined partial, moving to the next pass or to DONE. */
  public void finishPass() {
    long[] c = counts == null ? new long[BUCKETS] : dense();
    counts = null;
    compacted = false;
    switch (pass) {
      case COARSE:
        finishCoarse(c);
        break;
      case FINE:
        finishFine(c);
        break;
      case COLLECT:
      case COLLECT_EQUAL:
        finishCollect();
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
    int b = bucketHoldingKth(c, 0);
    coarseBucket = b;
    boolean lowBitsShared = (lowOr & 0xFFFF) == (lowAnd & 0xFFFF);
    if (c[b] <= collectLimit && !(lowBitsShared && k - above >= c[b])) {
      pass = Pass.COLLECT;
    } else if (lowBitsShared) {
      // Every key has the same low half, so the coarse bucket pins the threshold exactly.
      int t = ((b ^ 0x8000) << 16) | (lowOr & 0xFFFF);
      resolveTies(t, c[b]);
    } else {
      pass = Pass.FINE;
    }
  }

  /**
   * Scanning down from the top bucket, with {@code countAbove} keys already above them all: the
   * bucket holding the k-th largest key (bucket 0 if none does earlier). Sets {@link #above} to
   * the number of keys above that bucket.
   */
  private int bucketHoldingKth(long[] counts, long countAbove) {
    long cum = countAbove;
    int b = counts.length - 1;
    for (; b > 0; b--) {
      if (cum + counts[b] >= k) {
        break;
      }
      cum += counts[b];
    }
    above = cum;
    return b;
  }

  private void finishFine(long[] c) {
    int f = bucketHoldingKth(c, above);
    resolveTies(((coarseBucket ^ 0x8000) << 16) | f, c[f]);
  }

  /**
   * From the gathered elements of the coarse bucket (or those equal to T): the threshold as FINE
   * would find it, then the need-th smallest index among the elements equal to it.
   */
  private void finishCollect() {
    long[] entries = collected == null ? new long[0] : collected;
    int n = collectedCount;
    collected = null;
    collectedCount = 0;
    long[] fine = new long[BUCKETS];
    for (int i = 0; i < n; i++) {
      fine[(int) (entries[i] & 0xFFFF)]++;
    }
    int f = bucketHoldingKth(fine, above);
    threshold = ((coarseBucket ^ 0x8000) << 16) | f;
    need = k - above;
    if (need >= fine[f]) {
      finish(threshold, Long.MAX_VALUE);
      return;
    }
    long[] equalIndices = new long[(int) fine[f]];
    int e = 0;
    for (int i = 0; i < n; i++) {
      if ((entries[i] & 0xFFFF) == f) {
        equalIndices[e++] = entries[i] >>> 16;
      }
    }
    java.util.Arrays.sort(equalIndices);
    finish(threshold, equalIndices[(int) need - 1]);
  }

  private void resolveTies(int t, long equal) {
    threshold = t;
    need = k - above;
    if (need >= equal) {
      finish(t, Long.MAX_VALUE);
      return;
    }
    if (equal <= collectLimit) {
      pass = Pass.COLLECT_EQUAL;
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
