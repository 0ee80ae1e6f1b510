package dev.sparkmerge.method;

import java.nio.charset.StandardCharsets;

/**
 * Counter-based randomness: the draw for element j of model m in tensor t is a pure function of
 * (seed, t, m, j), a SplitMix64 finalizer applied to a per-stream key plus the counter. Nothing is
 * carried between chunks, so masks are the same for every chunking, partitioning and task retry,
 * and a second pass can recompute a mask instead of storing it. Keep decisions use 24-bit draws,
 * two per 64-bit hash (elements 2q and 2q + 1 take its top and middle 24 bits): the hash is most
 * of a mask's cost.
 */
public final class CounterRng {
  static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final double TWO_POW_24 = 16777216.0;

  private CounterRng() {}

  /** The stream of one model (or other purpose index) within one tensor of a job. */
  public static long streamKey(long seed, String tensorName, int stream) {
    long h = 0xCBF29CE484222325L; // FNV-1a over the UTF-8 name: stable across JVMs, unlike hashCode
    for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xFF)) * 0x100000001B3L;
    }
    return mix(mix(seed ^ GOLDEN) ^ mix(h + stream * GOLDEN));
  }

  /** 64 random bits for element {@code index} of a stream. */
  public static long bits(long streamKey, long index) {
    return mix(streamKey + (index + 1) * GOLDEN);
  }

  /**
   * The integer threshold for Bernoulli(p) draws: keep when {@code (bits >>> 40) < threshold}, i.e.
   * when the 24-bit uniform is below p. p is effectively rounded up to a multiple of 2^-24.
   */
  public static long keepThreshold(double p) {
    if (!(p > 0)) {
      return 0;
    }
    if (p >= 1) {
      return 1L << 24;
    }
    return (long) Math.ceil(p * TWO_POW_24);
  }

  /** The 24-bit uniform draw of element {@code index} of a stream. */
  public static int draw24(long streamKey, long index) {
    long r = bits(streamKey, index >>> 1);
    return (int) (r >>> ((index & 1) == 0 ? 40 : 16)) & 0xFFFFFF;
  }

  /** A Bernoulli draw with a threshold from {@link #keepThreshold}. */
  public static boolean keep(long streamKey, long index, long threshold) {
    return draw24(streamKey, index) < threshold;
  }

  /**
   * {@link #keep} for the elements start … start + n − 1 as masks: {@code masks[j]} is −1 (all bits
   * set) when element start + j is kept, else 0. One hash per pair of elements.
   */
  public static void keepMasks(long streamKey, long start, int n, long threshold, int[] masks) {
    int j = 0;
    if ((start & 1) != 0 && n > 0) {
      masks[j++] = keep(streamKey, start, threshold) ? -1 : 0;
    }
    if (Simd.ENABLED) {
      j += SimdRng.keepMasks(streamKey, start + j, n - j, threshold, masks, j);
    }
    for (; j + 1 < n; j += 2) {
      long r = bits(streamKey, (start + j) >>> 1);
      masks[j] = (int) ((((r >>> 40) & 0xFFFFFF) - threshold) >> 63);
      masks[j + 1] = (int) ((((r >>> 16) & 0xFFFFFF) - threshold) >> 63);
    }
    if (j < n) {
      masks[j] = keep(streamKey, start + j, threshold) ? -1 : 0;
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
