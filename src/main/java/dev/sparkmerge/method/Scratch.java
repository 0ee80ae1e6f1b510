package dev.sparkmerge.method;

/**
 * Per-thread scratch buffers for kernels, so merging a chunk allocates nothing. Kernels are shared
 * between threads (one broadcast copy per executor), so the buffers cannot live in the kernel.
 */
final class Scratch {
  private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

  private float[][] floats = new float[0][];
  private int[][] ints = new int[0][];
  private double[][] doubles = new double[0][];

  private Scratch() {}

  /** Float buffer number {@code slot} with at least n entries (contents undefined). */
  static float[] floats(int slot, int n) {
    Scratch s = LOCAL.get();
    if (slot >= s.floats.length) {
      s.floats = java.util.Arrays.copyOf(s.floats, slot + 1);
    }
    if (s.floats[slot] == null || s.floats[slot].length < n) {
      s.floats[slot] = new float[n];
    }
    return s.floats[slot];
  }

  static int[] ints(int slot, int n) {
    Scratch s = LOCAL.get();
    if (slot >= s.ints.length) {
      s.ints = java.util.Arrays.copyOf(s.ints, slot + 1);
    }
    if (s.ints[slot] == null || s.ints[slot].length < n) {
      s.ints[slot] = new int[n];
    }
    return s.ints[slot];
  }

  static double[] doubles(int slot, int n) {
    Scratch s = LOCAL.get();
    if (slot >= s.doubles.length) {
      s.doubles = java.util.Arrays.copyOf(s.doubles, slot + 1);
    }
    if (s.doubles[slot] == null || s.doubles[slot].length < n) {
      s.doubles[slot] = new double[n];
    }
    return s.doubles[slot];
  }
}
