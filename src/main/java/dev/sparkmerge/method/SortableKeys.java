package dev.sparkmerge.method;

/**
 * Maps floats to ints whose signed order is the float order, so selection can work on integer
 * histograms of bit patterns. Magnitudes need no mapping: a non-negative float's bits already order
 * like the float. NaN magnitudes sort above infinity.
 */
public final class SortableKeys {
  private SortableKeys() {}

  /** Key of |f|: its bits with the sign cleared. */
  public static int magnitude(float f) {
    return Float.floatToRawIntBits(f) & 0x7FFFFFFF;
  }

  /** Key of a signed float: negative floats have their non-sign bits flipped. -0.0 sorts below +0.0. */
  public static int signed(float f) {
    int bits = Float.floatToRawIntBits(f);
    return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
  }

  /** The float whose {@link #signed} key is k. */
  public static float fromSigned(int k) {
    return Float.intBitsToFloat(k >= 0 ? k : k ^ 0x7FFFFFFF);
  }
}
