package dev.sparkmerge.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Float arrays reused by every tensor one task reads. Chunk buffers (chunk size × inputs) are a
 * task's largest allocations; a fresh set per tensor and per statistics pass had the JVM allocate
 * and zero gigabytes per merge. Not thread-safe: one instance per task.
 */
final class ChunkBuffers {
  private final List<float[]> arrays = new ArrayList<>();

  /** Array number {@code slot}, with at least {@code n} entries (contents undefined). */
  float[] get(int slot, int n) {
    while (arrays.size() <= slot) {
      arrays.add(null);
    }
    float[] a = arrays.get(slot);
    if (a == null || a.length < n) {
      a = new float[n];
      arrays.set(slot, a);
    }
    return a;
  }
}
