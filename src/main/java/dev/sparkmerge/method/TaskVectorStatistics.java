package dev.sparkmerge.method;

/**
 * Statistics of the task-vector family: first the exact top-k selections (TIES, breadcrumbs), then
 * the L1 norms before and after trimming for mergekit's rescale (DARE, DELLA, TIES with rescale).
 */
final class TaskVectorStatistics extends Statistics {
  private static final long serialVersionUID = 1L;
  /** Elements per tile: keys in the selection passes, deltas in the L1 pass. */
  private static final int KEY_TILE = 4096;
  private static final int TILE = 16384;
  /** With more models than this, selectors count into one histogram copy (TopKSelector). */
  static final int ONE_COPY_ABOVE = 8;

  private enum Phase {
    SELECT,
    L1,
    DONE
  }

  private final TaskVectorKernel kernel;
  private Phase phase;
  /** Per model: the selections of {@link ModelTrim#selectionSizes}, in that order. */
  final TopKSelector[][] selectors;
  private ExactSum[] full;
  private ExactSum[] kept;
  /** Per model: the L1 rescale factor, once DONE (1 for models without L1 rescale). */
  final float[] l1Factor;

  TaskVectorStatistics(TaskVectorKernel kernel) {
    this.kernel = kernel;
    int m = kernel.trims.length;
    selectors = new TopKSelector[m][];
    l1Factor = new float[m];
    boolean anySelect = false;
    for (int i = 0; i < m; i++) {
      ModelTrim t = kernel.trims[i];
      long[] sizes = t.selects() ? t.selectionSizes : new long[0];
      selectors[i] = new TopKSelector[sizes.length];
      for (int s = 0; s < sizes.length; s++) {
        selectors[i][s] = new TopKSelector(kernel.spec.numel, sizes[s]);
        if (m > ONE_COPY_ABOVE) {
          selectors[i][s].useOneCopy(); // memory per model over speed per element
        }
        anySelect |= !selectors[i][s].isComplete();
      }
      l1Factor[i] = 1f;
    }
    phase = anySelect ? Phase.SELECT : Phase.L1;
    if (phase == Phase.L1) {
      startL1();
    }
  }

  private TaskVectorStatistics(TaskVectorStatistics s) {
    kernel = s.kernel;
    phase = s.phase;
    l1Factor = s.l1Factor.clone();
    selectors = new TopKSelector[s.selectors.length][];
    for (int i = 0; i < selectors.length; i++) {
      selectors[i] = new TopKSelector[s.selectors[i].length];
      for (int j = 0; j < selectors[i].length; j++) {
        selectors[i][j] = phase == Phase.SELECT ? s.selectors[i][j].newPartial() : s.selectors[i][j];
      }
    }
    if (phase == Phase.L1) {
      full = ExactSum.zeros(selectors.length);
      kept = ExactSum.zeros(selectors.length);
    }
  }

  private void startL1() {
    boolean any = false;
    for (ModelTrim t : kernel.trims) {
      any |= t.needsL1();
    }
    if (any) {
      phase = Phase.L1;
      full = ExactSum.zeros(selectors.length);
      kept = ExactSum.zeros(selectors.length);
    } else {
      phase = Phase.DONE;
    }
  }

  @Override
  public boolean isComplete() {
    return phase == Phase.DONE;
  }

  @Override
  public Statistics newPartial() {
    return new TaskVectorStatistics(this);
  }

  @Override
  public void accumulate(Chunk chunk) {
    int n = chunk.length;
    if (phase == Phase.SELECT) {
      // Tiles keep the key buffer in cache between computing and counting.
      int[] keys = Scratch.ints(0, Math.min(n, KEY_TILE));
      for (int i = 0; i < selectors.length; i++) {
        if (selectors[i].length == 0 || allComplete(selectors[i])) {
          continue;
        }
        float[] x = chunk.models[i];
        float[] b = chunk.base;
        long[] needed = neededRange(selectors[i]);
        for (int from = 0; from < n; from += KEY_TILE) {
          int len = Math.min(KEY_TILE, n - from);
          long tileStart = chunk.start + from;
          if (tileStart + len <= needed[0] || tileStart >= needed[1]) {
            continue; // no selector reads these keys in this pass
          }
          int j = Simd.ENABLED ? SimdTaskVector.magnitudeKeys(x, b, from, len, keys) : 0;
          for (; j < len; j++) {
            keys[j] = SortableKeys.magnitude(x[from + j] - b[from + j]);
          }
          for (TopKSelector s : selectors[i]) {
            if (!s.isComplete()) {
              s.accumulate(keys, len, chunk.start + from);
            }
          }
        }
      }
    } else if (phase == Phase.L1) {
      // Tiles keep both buffers in cache; DELLA trims whole rows, so it takes the chunk at once.
      int tile = kernel.chunkAlignment() == 1 ? TILE : n;
      float[] delta = Scratch.floats(0, Math.min(n, tile));
      float[] trimmed = Scratch.floats(1, Math.min(n, tile));
      for (int i = 0; i < selectors.length; i++) {
        if (!kernel.trims[i].needsL1()) {
          continue;
        }
        float[] x = chunk.models[i];
        float[] b = chunk.base;
        for (int from = 0; from < n; from += tile) {
          int len = Math.min(tile, n - from);
          for (int j = 0; j < len; j++) {
            delta[j] = x[from + j] - b[from + j];
          }
          kernel.trimmed(i, chunk, from, len, selectors[i], trimmed);
          ExactSum.addAbsSplit(delta, trimmed, len, full[i], kept[i]);
        }
      }
    }
  }

  /** The union of the ranges the model's unfinished selectors read in this pass. */
  private static long[] neededRange(TopKSelector[] selectors) {
    long lo = Long.MAX_VALUE;
    long hi = Long.MIN_VALUE;
    for (TopKSelector s : selectors) {
      if (!s.isComplete()) {
        long[] r = s.neededRange();
        lo = Math.min(lo, r[0]);
        hi = Math.max(hi, r[1]);
      }
    }
    return new long[] {lo, hi};
  }

  private static boolean allComplete(TopKSelector[] s) {
    for (TopKSelector t : s) {
      if (!t.isComplete()) {
        return false;
      }
    }
    return true;
  }

  /**
   * In the first selection pass, the histograms depend on the tensor and the models' deltas only,
   * not on how many elements each selection keeps: statistics of the same tensor whose selections
   * are all in their first pass (a grid's densities) share it.
   */
  @Override
  public Object passKey() {
    if (phase != Phase.SELECT) {
      return null;
    }
    StringBuilder key = new StringBuilder("first-selection-pass|").append(kernel.spec.name)
        .append('|').append(kernel.spec.numel);
    for (TopKSelector[] perModel : selectors) {
      key.append('|');
      for (TopKSelector s : perModel) {
        if (!s.isComplete() && !s.inFirstPass()) {
          return null;
        }
        key.append(s.isComplete() ? 'c' : 's');
      }
    }
    return key.toString();
  }

  @Override
  public void adoptPass(Statistics other) {
    TaskVectorStatistics o = (TaskVectorStatistics) other;
    for (int i = 0; i < selectors.length; i++) {
      for (int j = 0; j < selectors[i].length; j++) {
        if (!selectors[i][j].isComplete()) {
          selectors[i][j].adoptFirstPass(o.selectors[i][j]);
        }
      }
    }
  }

  @Override
  public void compact() {
    for (TopKSelector[] perModel : selectors) {
      for (TopKSelector s : perModel) {
        s.compact();
      }
    }
  }

  @Override
  public void combine(Statistics other) {
    TaskVectorStatistics o = (TaskVectorStatistics) other;
    if (phase == Phase.SELECT) {
      for (int i = 0; i < selectors.length; i++) {
        for (int j = 0; j < selectors[i].length; j++) {
          selectors[i][j].combine(o.selectors[i][j]);
        }
      }
    } else if (phase == Phase.L1) {
      for (int i = 0; i < full.length; i++) {
        full[i].add(o.full[i]);
        kept[i].add(o.kept[i]);
      }
    }
  }

  @Override
  public Statistics finishPass() {
    if (phase == Phase.SELECT) {
      boolean done = true;
      for (TopKSelector[] s : selectors) {
        for (TopKSelector t : s) {
          if (!t.isComplete()) {
            t.finishPass();
            done &= t.isComplete();
          }
        }
      }
      if (done) {
        startL1();
      }
    } else if (phase == Phase.L1) {
      for (int i = 0; i < full.length; i++) {
        if (kernel.trims[i].needsL1()) {
          double a = full[i].value();
          double a2 = kept[i].value();
          // mergekit leaves the values as they are when either norm is (nearly) zero.
          l1Factor[i] = (a < 1e-7 || a2 < 1e-7) ? 1f : (float) (a / a2);
        }
      }
      full = null;
      kept = null;
      phase = Phase.DONE;
    }
    return this;
  }
}
