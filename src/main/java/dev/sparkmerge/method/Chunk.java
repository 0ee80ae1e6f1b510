package dev.sparkmerge.method;

/**
 * A contiguous range {@code [start, start + length)} of the row-major flattened tensor, decoded to
 * float32: the base model's values (or null when the method runs without a base) and the values of
 * every other model that has the tensor, in config order. Arrays may be longer than {@code length}
 * so callers can reuse buffers; only the first {@code length} entries are read.
 */
public final class Chunk {
  public final long start;
  public final int length;
  public final float[] base;
  public final float[][] models;

  public Chunk(long start, int length, float[] base, float[][] models) {
    this.start = start;
    this.length = length;
    this.base = base;
    this.models = models;
  }

  public int modelCount() {
    return models.length;
  }
}
