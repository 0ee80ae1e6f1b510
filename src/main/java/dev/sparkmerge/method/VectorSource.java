package dev.sparkmerge.method;

import java.io.Serializable;

/** The vectors whose inner products a kernel needs, e.g. {base, x} for slerp or {x_i − b} for model_stock. */
interface VectorSource extends Serializable {
  int vectorCount();

  /** Writes vector v's values over the chunk into {@code out[v][0 .. chunk.length)}. */
  void vectors(Chunk chunk, float[][] out);
}
