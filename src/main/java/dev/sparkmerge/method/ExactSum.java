package dev.sparkmerge.method;

import java.io.Serializable;
import java.math.BigInteger;

/**
 * Exact sum of float32 values and of products of two float32 values, rounded once to double when
 * read. Because nothing is rounded while adding, partial sums from any chunking and any combine
 * order give bit-identical results, which plain double accumulation cannot promise.
 *
 * <p>Every float is m·2^e with an integer m &lt; 2^24; a product of two is an integer &lt; 2^48 times
 * a power of two, added as two 24-bit halves. Slot i of {@code limbs} counts units of 2^(lo + i).
 * Each element adds less than 2^24 to a slot, so a long slot takes 2^39 elements before it could
 * overflow (more than any tensor has); {@link #normalize} carries after 2^37 additions anyway.
 */
public final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  /** {@code n} sums, each zero. */
  public static ExactSum[] zeros(int n) {
    ExactSum[] a = new ExactSum[n];
    for (int i = 0; i < n; i++) {
      a[i] = new ExactSum();
    }
    return a;
  }
  private static final long CARRY_AFTER = 1L << 37;
  /** Smallest position anything can land on: the product of two subnormal units, 2^-298. */
  private static final int MIN_POS = -298;
  /** Positions a product's halves can land on: −298 … 232. */
  private static final int PRODUCT_LANES = 232 - MIN_POS + 1;

  /** Lane e counts units of 2^(max(e, 1) − 150): floats with biased exponent e. */
  private long[] floatLanes; // allocated on first add(float): most row sums only see products
  private long[] limbs = new long[0];
  private int lo;
  private long additions;
  private boolean nan;
  private boolean posInf;
  private boolean negInf;

  /**
   * Adds a float32 value: its 24-bit significand goes into the lane of its exponent, a single
   * array add with no bounds to check (a lane takes 2^39 additions before it could overflow, more
   * than any tensor has elements).
   */
  public void add(float f) {
    int bits = Float.floatToRawIntBits(f);
    int e = (bits >>> 23) & 0xFF;
    if (e == 0xFF) {
      special(f);
      return;
    }
    long m = bits & 0x7FFFFF;
    if (e != 0) {
      m |= 0x800000;
    }
    lanes()[e] += bits < 0 ? -m : m;
  }

  /** Adds |f| for each of the first n values: the L1 norm of a chunk. */
  public void addAbs(float[] values, int n) {
    // Values of one tensor share few exponents; four interleaved copies of the lanes keep
    // consecutive additions off the same memory slot (a dependency chain), folded in at the end.
    long[] local = new long[4 * 256];
    for (int i = 0; i < n; i++) {
      int bits = Float.floatToRawIntBits(values[i]) & 0x7FFFFFFF;
      int e = bits >>> 23;
      local[(e << 2) | (i & 3)] += (bits & 0x7FFFFF) | (e != 0 ? 0x800000 : 0);
    }
    long[] lanes = lanes();
    for (int e = 0; e < 255; e++) {
      lanes[e] += local[e << 2] + local[(e << 2) + 1] + local[(e << 2) + 2] + local[(e << 2) + 3];
    }
    if ((local[1020] | local[1021] | local[1022] | local[1023]) != 0) {
      for (int i = 0; i < n; i++) {
        if (Float.isNaN(values[i]) || Float.isInfinite(values[i])) {
          special(Math.abs(values[i]));
        }
      }
    }
  }

  /**
   * The L1 norms of a chunk before and after trimming in one sweep: adds |all[j]| to {@code all}
   * and, where {@code kept[j]} is not +0.0 (trimming leaves either the value or +0.0), also to
   * {@code kept}. One scatter per element instead of two {@link #addAbs} calls.
   */
  public static void addAbsSplit(float[] all, float[] kept, int n, ExactSum allSum,
      ExactSum keptSum) {
    long[] allLanes = allSum.lanes();
    long[] keptLanes = keptSum.lanes();
    for (int from = 0; from < n; from += SimdExactSum.TILE) {
      int len = Math.min(SimdExactSum.TILE, n - from);
      if (!(Simd.ENABLED
          && SimdExactSum.addAbsSplit(all, kept, from, len, allLanes, keptLanes))) {
        scatterAbsSplit(all, kept, from, len, allSum, keptSum);
      }
    }
  }

  /** {@link #addAbsSplit} for positions [from, from + n), one scatter per element. */
  private static void scatterAbsSplit(float[] all, float[] kept, int from, int n,
      ExactSum allSum, ExactSum keptSum) {
    // Slot (e·2 + k)·4 + i mod 4: lane e, kept flag k, four interleaved copies as in addAbs.
    long[] local = new long[8 * 256];
    for (int i = from; i < from + n; i++) {
      int bits = Float.floatToRawIntBits(all[i]) & 0x7FFFFFFF;
      int e = bits >>> 23;
      int k = (Float.floatToRawIntBits(kept[i]) | -Float.floatToRawIntBits(kept[i])) >>> 31;
      local[(e << 3) | (k << 2) | (i & 3)] += (bits & 0x7FFFFF) | (e != 0 ? 0x800000 : 0);
    }
    long[] allLanes = allSum.lanes();
    long[] keptLanes = keptSum.lanes();
    for (int e = 0; e < 255; e++) {
      int s = e << 3;
      long dropped = local[s] + local[s + 1] + local[s + 2] + local[s + 3];
      long keptPart = local[s + 4] + local[s + 5] + local[s + 6] + local[s + 7];
      allLanes[e] += dropped + keptPart;
      keptLanes[e] += keptPart;
    }
    for (int s = 255 << 3; s < 256 << 3; s++) {
      if (local[s] != 0) {
        for (int i = from; i < from + n; i++) {
          if (Float.isNaN(all[i]) || Float.isInfinite(all[i])) {
            allSum.special(Math.abs(all[i]));
          }
          if (Float.isNaN(kept[i]) || Float.isInfinite(kept[i])) {
            keptSum.special(Math.abs(kept[i]));
          }
        }
        break;
      }
    }
  }

  /** Adds the exact product a·b of two float32 values. */
  public void addProduct(float a, float b) {
    int ba = Float.floatToRawIntBits(a);
    int bb = Float.floatToRawIntBits(b);
    int ea = (ba >>> 23) & 0xFF;
    int eb = (bb >>> 23) & 0xFF;
    if (ea == 0xFF || eb == 0xFF) {
      special((double) a * b);
      return;
    }
    long ma = ba & 0x7FFFFF;
    long mb = bb & 0x7FFFFF;
    if (ea != 0) {
      ma |= 0x800000;
    } else {
      ea = 1;
    }
    if (eb != 0) {
      mb |= 0x800000;
    } else {
      eb = 1;
    }
    long p = ma * mb;
    if (p == 0) {
      return;
    }
    int pos = ea + eb - 300;
    boolean negative = (ba ^ bb) < 0;
    long low = p & 0xFFFFFF;
    long high = p >>> 24;
    addAt(pos, negative ? -low : low);
    addAt(pos + 24, negative ? -high : high);
  }

  /**
   * Adds Σ a[i]·b[i] over i in [from, to), exactly. Products land in local lanes by exponent (two
   * 24-bit halves each, four interleaved copies against dependency chains), folded in at the end:
   * several times faster than one {@link #addProduct} per element.
   */
  public void addProducts(float[] a, float[] b, int from, int to) {
    // Lane p counts units of 2^(p + MIN_POS); a product's low half lands at ea + eb − 300.
    long[] local = new long[PRODUCT_LANES * 4];
    for (int i = from; i < to; i++) {
      int ba = Float.floatToRawIntBits(a[i]);
      int bb = Float.floatToRawIntBits(b[i]);
      int ea = (ba >>> 23) & 0xFF;
      int eb = (bb >>> 23) & 0xFF;
      if (ea == 0xFF || eb == 0xFF) {
        special((double) a[i] * b[i]);
        continue;
      }
      long p = ((ba & 0x7FFFFF) | (ea != 0 ? 0x800000L : 0))
          * ((bb & 0x7FFFFF) | (eb != 0 ? 0x800000L : 0));
      long sign = (ba ^ bb) >> 31; // 0 or -1
      int lane = (Math.max(ea, 1) + Math.max(eb, 1) - 300 - MIN_POS) << 2 | (i & 3);
      local[lane] += ((p & 0xFFFFFF) ^ sign) - sign;
      local[lane + 96] += ((p >>> 24) ^ sign) - sign; // 24 positions higher: 24 lanes × 4 copies
    }
    for (int lane = 0; lane < PRODUCT_LANES; lane++) {
      long v = local[lane << 2] + local[(lane << 2) + 1] + local[(lane << 2) + 2]
          + local[(lane << 2) + 3];
      if (v != 0) {
        addAt(lane + MIN_POS, v);
      }
    }
  }

  /** Adds the exact square of a float32 value. */
  public void addSquare(float a) {
    addProduct(a, a);
  }

  /** Adds another exact sum into this one. */
  public void add(ExactSum other) {
    nan |= other.nan;
    posInf |= other.posInf;
    negInf |= other.negInf;
    if (other.floatLanes != null) {
      long[] lanes = lanes();
      for (int e = 0; e < 256; e++) {
        lanes[e] += other.floatLanes[e];
      }
    }
    for (int i = 0; i < other.limbs.length; i++) {
      if (other.limbs[i] != 0) {
        addAt(other.lo + i, other.limbs[i]);
      }
    }
    additions += other.additions;
    if (additions > CARRY_AFTER) {
      normalize();
    }
  }

  /** The exact sum rounded to the nearest double (NaN or ±infinity when such inputs were added). */
  public double value() {
    if (nan || (posInf && negInf)) {
      return Double.NaN;
    }
    if (posInf) {
      return Double.POSITIVE_INFINITY;
    }
    if (negInf) {
      return Double.NEGATIVE_INFINITY;
    }
    // Everything as an integer count of 2^MIN_POS units (the smallest product exponent).
    BigInteger total = BigInteger.ZERO;
    for (int i = limbs.length - 1; i >= 0; i--) {
      total = total.shiftLeft(1).add(BigInteger.valueOf(limbs[i]));
    }
    total = total.shiftLeft(limbs.length == 0 ? 0 : lo - MIN_POS);
    for (int e = 0; floatLanes != null && e < 256; e++) {
      if (floatLanes[e] != 0) {
        total = total.add(BigInteger.valueOf(floatLanes[e]).shiftLeft(Math.max(e, 1) - 150 - MIN_POS));
      }
    }
    if (total.signum() == 0) {
      return 0.0;
    }
    // Drop low bits beyond double precision with a sticky bit so the single rounding stays exact.
    int shift = MIN_POS;
    int excess = total.abs().bitLength() - 62;
    if (excess > 0) {
      BigInteger mag = total.abs();
      boolean sticky = mag.getLowestSetBit() < excess;
      mag = mag.shiftRight(excess);
      if (sticky) {
        mag = mag.setBit(0);
      }
      total = total.signum() < 0 ? mag.negate() : mag;
      shift += excess;
    }
    return Math.scalb((double) total.longValue(), shift);
  }

  private long[] lanes() {
    if (floatLanes == null) {
      floatLanes = new long[256];
    }
    return floatLanes;
  }

  private void special(double v) {
    if (Double.isNaN(v)) {
      nan = true;
    } else if (v > 0) {
      posInf = true;
    } else {
      negInf = true;
    }
  }

  private void addAt(int pos, long v) {
    int i = pos - lo;
    if (i < 0 || i >= limbs.length) {
      grow(pos);
      i = pos - lo;
    }
    limbs[i] += v;
    if (++additions > CARRY_AFTER) {
      normalize();
    }
  }

  private void grow(int pos) {
    if (limbs.length == 0) {
      lo = Math.max(MIN_POS, pos - 8);
      limbs = new long[48];
      return;
    }
    int newLo = Math.max(MIN_POS, Math.min(lo, pos - 16));
    int newHi = Math.max(lo + limbs.length, pos + 17);
    long[] grown = new long[newHi - newLo];
    System.arraycopy(limbs, 0, grown, lo - newLo, limbs.length);
    limbs = grown;
    lo = newLo;
  }

  /** Moves everything above 24 bits of each slot into the slot 24 positions higher. */
  private void normalize() {
    additions = 0;
    for (int i = 0; i < limbs.length; i++) {
      long carry = limbs[i] >> 24;
      if (carry != 0) {
        limbs[i] -= carry << 24;
        int target = lo + i + 24;
        if (target - lo >= limbs.length) {
          grow(target);
        }
        limbs[target - lo] += carry;
      }
    }
  }
}
