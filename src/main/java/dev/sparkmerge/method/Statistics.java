package dev.sparkmerge.method;

import java.io.Serializable;

/**
 * Whole-tensor statistics a kernel needs before it can merge, computed in one or more passes over
 * the tensor's chunks. A driver runs it like this (Spark: map chunks, reduce partials, broadcast):
 *
 * <pre>
 *   Statistics s = kernel.initialStatistics();
 *   while (s != null &amp;&amp; !s.isComplete()) {
 *     // for every chunk, in any order and any grouping:
 *     Statistics p = s.newPartial(); p.accumulate(chunk);
 *     // reduce partials with combine(), in any order, then:
 *     s = reduced.finishPass();
 *   }
 *   kernel.merge(s, chunk, out);   // for every chunk
 * </pre>
 *
 * <p>Contract: {@link #accumulate} and {@link #combine} are exact (integer counts, exact sums), so
 * the result of a pass does not depend on how the tensor was cut into chunks or in which order the
 * partials were combined. Subclasses are plain final classes (no records) so Java and Kryo
 * serialization both work.
 */
public abstract class Statistics implements Serializable {
  private static final long serialVersionUID = 1L;

  /** True when every pass is done and the object can be handed to {@code merge}. */
  public abstract boolean isComplete();

  /**
   * An empty accumulator for the current pass that carries the results of earlier passes. Never
   * mutates this object, so one broadcast copy can serve every task.
   */
  public abstract Statistics newPartial();

  /** Adds one chunk's contribution to this partial. */
  public abstract void accumulate(Chunk chunk);

  /**
   * Shrinks a finished partial before it is shipped to another task (for example sparse
   * histograms). Optional: the default does nothing; {@link #combine} must accept both forms.
   */
  public void compact() {}

  /**
   * What the current pass accumulates from a chunk, when that does not depend on everything this
   * object holds: statistics with equal non-null keys, fed the same chunks, accumulate identical
   * partials in this pass (e.g. the first top-k histogram, whatever k), so one can accumulate and
   * the others {@link #adoptPass} its partial. Null (the default): no sharing.
   */
  public Object passKey() {
    return null;
  }

  /**
   * Makes this (empty) partial equal to {@code other}'s partial of this pass; only called with a
   * partial whose {@link #passKey} equals this one's, after it accumulated the same chunks.
   */
  public void adoptPass(Statistics other) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " shares no pass");
  }

  /** Adds another partial of the same pass into this one. */
  public abstract void combine(Statistics other);

  /** Ends the current pass (this object holds the fully combined partial) and returns the next state. */
  public abstract Statistics finishPass();
}
