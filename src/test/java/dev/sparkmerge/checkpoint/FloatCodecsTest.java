package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Bit-exact tests of {@link FloatCodecs}. Every hand-written expectation carries a comment that
 * derives it; the exhaustive tests compare against references computed independently in this file
 * from the bit fields, in double arithmetic, using {@link Math#rint} (round half to even) for the
 * rounding instead of the codec's integer bias tricks.
 */
class FloatCodecsTest {

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------

  private static void assertBf16(int f32Bits, int expectedBf16) {
    short got = FloatCodecs.floatToBf16(Float.intBitsToFloat(f32Bits));
    assertEquals(
        String.format("%04X", expectedBf16),
        String.format("%04X", got & 0xFFFF),
        String.format("bf16 of f32 %08X", f32Bits));
  }

  private static void assertF16(int f32Bits, int expectedF16) {
    short got = FloatCodecs.floatToF16(Float.intBitsToFloat(f32Bits));
    assertEquals(
        String.format("%04X", expectedF16),
        String.format("%04X", got & 0xFFFF),
        String.format("f16 of f32 %08X", f32Bits));
  }

  /** Float equality by bits (so -0 != +0) except that any NaN equals any NaN. */
  private static void assertSameFloat(float expected, float actual, String what) {
    if (Float.isNaN(expected)) {
      assertTrue(Float.isNaN(actual), what + ": expected NaN, got " + actual);
    } else {
      assertEquals(
          Float.floatToRawIntBits(expected),
          Float.floatToRawIntBits(actual),
          what + ": expected " + expected + ", got " + actual);
    }
  }

  /**
   * Independent reference encoder: rounds the exact double value {@code x} to the nearest value of
   * a binary format with {@code expBits} exponent bits (IEEE bias) and {@code mantBits} mantissa
   * bits, ties to even, with subnormals and overflow to infinity, and returns its bit pattern. NaN
   * is not handled here (callers check it).
   *
   * <p>Method: pick the spacing ("quantum") of representable values in |x|'s binade (the fixed
   * subnormal spacing below the smallest normal), count quanta with Math.rint, multiply back, then
   * re-derive the fields from the rounded value with Math.getExponent.
   */
  private static int referenceEncode(double x, int expBits, int mantBits) {
    int bias = (1 << (expBits - 1)) - 1;
    int minExp = 1 - bias; // exponent of the smallest normal
    int maxExp = bias; // exponent of the largest finite binade
    int signBit = 1 << (expBits + mantBits);
    int sign = (Math.copySign(1.0, x) < 0) ? signBit : 0;
    double a = Math.abs(x);
    int infBits = ((1 << expBits) - 1) << mantBits;
    if (Double.isInfinite(a)) {
      return sign | infBits;
    }
    if (a == 0) {
      return sign;
    }
    int e = Math.max(Math.getExponent(a), minExp);
    double quantum = Math.scalb(1.0, e - mantBits);
    double rounded = Math.rint(a / quantum) * quantum; // a / quantum is exact: power-of-two scale
    if (rounded == 0) {
      return sign;
    }
    int re = Math.getExponent(rounded); // may be e + 1 after a carry
    if (re > maxExp) {
      return sign | infBits;
    }
    if (re < minExp) {
      // Subnormal: mantissa is the count of subnormal quanta.
      int m = (int) (rounded / Math.scalb(1.0, minExp - mantBits));
      return sign | m;
    }
    int m = (int) ((rounded / Math.scalb(1.0, re) - 1.0) * (1 << mantBits));
    return sign | ((re + bias) << mantBits) | m;
  }

  /** Independent FP8 decoder from the bit fields, in double arithmetic. */
  private static float referenceF8(int b, int expBits, int mantBits, boolean ieeeSpecials) {
    int bias = (1 << (expBits - 1)) - 1;
    int s = (b >>> 7) & 1;
    int e = (b >>> mantBits) & ((1 << expBits) - 1);
    int m = b & ((1 << mantBits) - 1);
    int eMax = (1 << expBits) - 1;
    double sign = s == 1 ? -1.0 : 1.0;
    if (ieeeSpecials && e == eMax) {
      return m == 0 ? (float) (sign * Double.POSITIVE_INFINITY) : Float.NaN;
    }
    if (!ieeeSpecials && e == eMax && m == (1 << mantBits) - 1) {
      return Float.NaN; // e4m3fn: only S.1111.111 is NaN
    }
    double frac = (double) m / (1 << mantBits);
    double v = (e == 0) ? frac * Math.pow(2, 1 - bias) : (1 + frac) * Math.pow(2, e - bias);
    return (float) (sign * v);
  }

  // ---------------------------------------------------------------------------------------------
  // BF16 hand-checked vectors
  // ---------------------------------------------------------------------------------------------

  @Test
  void bf16ReferenceVectors() {
    // reference/safetensors.md §2.5, verified on torch. Derivation with the rule "keep the high 16
    // bits; low 16 bits > 0x8000 round up, < 0x8000 round down, == 0x8000 round to even":
    // 3F80_8000: low half exactly 0x8000 (tie), kept part 0x3F80 is even -> stays 3F80.
    assertBf16(0x3F808000, 0x3F80);
    // 3F81_8000: tie, kept part 0x3F81 is odd -> up to the even 3F82.
    assertBf16(0x3F818000, 0x3F82);
    // 3F80_8001: just above half -> up to 3F81.
    assertBf16(0x3F808001, 0x3F81);
    // 0001_8000: float32 subnormal, tie with odd kept part 0x0001 -> 0x0002 (no flush to zero).
    assertBf16(0x00018000, 0x0002);
    // 7F7F_8000: tie, 0x7F7F (largest finite bf16) is odd -> carries into the exponent: 7F80 = +inf.
    assertBf16(0x7F7F8000, 0x7F80);
    // 3F7F_FFFF: above half -> 0x3F7F + 1 = 0x3F80 (mantissa carry bumps the exponent: 1.0).
    assertBf16(0x3F7FFFFF, 0x3F80);
  }

  @Test
  void bf16SpecialValuesAndBoundaries() {
    // Zeros keep their sign: +0 = 00000000 -> 0000, -0 = 80000000 -> 8000.
    assertBf16(0x00000000, 0x0000);
    assertBf16(0x80000000, 0x8000);
    // Infinities are exact: 7F800000 -> 7F80, FF800000 -> FF80.
    assertBf16(0x7F800000, 0x7F80);
    assertBf16(0xFF800000, 0xFF80);
    // Max finite bf16 is 7F7F (= f32 7F7F0000, (2 - 2^-7) * 2^127); exact in both directions.
    assertBf16(0x7F7F0000, 0x7F7F);
    // Just below the overflow tie (low half 0x7FFF < 0x8000) -> stays at max finite.
    assertBf16(0x7F7F7FFF, 0x7F7F);
    // Float.MAX_VALUE 7F7FFFFF is above the tie -> overflows to +inf; same for negative.
    assertBf16(0x7F7FFFFF, 0x7F80);
    assertBf16(0xFF7FFFFF, 0xFF80);
    assertBf16(0xFF7F8000, 0xFF80);
    // Smallest bf16 subnormal 0001 = f32 00010000 = 2^-133.
    assertBf16(0x00010000, 0x0001);
    // Half of it, 00008000, is a tie between 0000 (even) and 0001 -> 0000; a bit more -> 0001.
    assertBf16(0x00008000, 0x0000);
    assertBf16(0x00008001, 0x0001);
    // Anything below the tie rounds to (signed) zero: f32 00000001 -> 0000, 80000001 -> 8000.
    assertBf16(0x00000001, 0x0000);
    assertBf16(0x80000001, 0x8000);
    // Largest bf16 subnormal 007F; its upper tie 007F8000 (odd kept part) rounds up to the
    // smallest normal 0080 = 2^-126.
    assertBf16(0x007F0000, 0x007F);
    assertBf16(0x007F8000, 0x0080);
    assertBf16(0x007F7FFF, 0x007F);
    // Negative values round the magnitude the same way; the sign bit just rides along.
    assertBf16(0xBF808000, 0xBF80); // -(tie, even down)
    assertBf16(0xBF818000, 0xBF82); // -(tie, even up)
    assertBf16(0xBF808001, 0xBF81); // -(above half)
    assertBf16(0x80018000, 0x8002); // negative subnormal tie, odd -> up
    // Common values: 1.0 = 3F800000, -2.0 = C0000000, pi = 40490FDB (low half 0x0FDB < 0x8000 ->
    // 4049 = 3.140625).
    assertBf16(0x3F800000, 0x3F80);
    assertBf16(0xC0000000, 0xC000);
    assertBf16(0x40490FDB, 0x4049);
  }

  @Test
  void bf16NanIsCanonicalPositive7fc0() {
    // c10::BFloat16's scalar path: every NaN -> 7FC0, sign and payload dropped.
    assertBf16(0x7FC00000, 0x7FC0); // canonical quiet NaN
    assertBf16(0xFFC00000, 0x7FC0); // negative quiet NaN: sign dropped
    assertBf16(0x7FFFFFFF, 0x7FC0); // all-ones payload
    assertBf16(0xFFFFFFFF, 0x7FC0);
    // Signalling NaN with payload only in the low half: the plain bias trick would give 7F80
    // (infinity!), which is why NaN must be special-cased.
    assertBf16(0x7F800001, 0x7FC0);
    assertBf16(0xFF800001, 0x7FC0);
    assertEquals((short) 0x7FC0, FloatCodecs.floatToBf16(Float.NaN));
  }

  @Test
  void bf16DecodeHandValues() {
    // bf16 is the top half of a float32: 3F80 -> 3F800000 = 1.0; C000 -> C0000000 = -2.0;
    // 4049 -> 40490000 = 3.140625; 0001 -> 00010000 = 2^-133; 8000 -> -0.0; FF80 -> -inf.
    assertSameFloat(1.0f, FloatCodecs.bf16ToFloat((short) 0x3F80), "3F80");
    assertSameFloat(-2.0f, FloatCodecs.bf16ToFloat((short) 0xC000), "C000");
    assertSameFloat(3.140625f, FloatCodecs.bf16ToFloat((short) 0x4049), "4049");
    assertSameFloat(0x1p-133f, FloatCodecs.bf16ToFloat((short) 0x0001), "0001");
    assertSameFloat(-0.0f, FloatCodecs.bf16ToFloat((short) 0x8000), "8000");
    assertSameFloat(Float.NEGATIVE_INFINITY, FloatCodecs.bf16ToFloat((short) 0xFF80), "FF80");
    // Max finite 7F7F = (1 + 127/128) * 2^127.
    assertSameFloat((1 + 127f / 128) * 0x1p127f, FloatCodecs.bf16ToFloat((short) 0x7F7F), "7F7F");
    assertTrue(Float.isNaN(FloatCodecs.bf16ToFloat((short) 0x7FC0)));
    assertTrue(Float.isNaN(FloatCodecs.bf16ToFloat((short) 0xFF81)));
  }

  // ---------------------------------------------------------------------------------------------
  // F16 hand-checked vectors
  // ---------------------------------------------------------------------------------------------

  @Test
  void f16ReferenceVectors() {
    // reference/safetensors.md §2.5 (torch and numpy agree). Half subnormals are multiples of
    // 2^-24; half normals in [2^e, 2^(e+1)) are multiples of 2^(e-10).
    // 33000000: exponent field 0x66 = 102 -> 2^(102-127) = 2^-25 = 0.5 * 2^-24, a tie between
    // 0 (even) and 0001 -> 0000.
    assertF16(0x33000000, 0x0000);
    // 33400000: 1.5 * 2^-25 = 0.75 * 2^-24 -> nearest is 1 * 2^-24 -> 0001.
    assertF16(0x33400000, 0x0001);
    // 33C00000: field 0x67 = 103 -> 1.5 * 2^-24, a tie between 0001 and 0002 (even) -> 0002.
    assertF16(0x33C00000, 0x0002);
    // 387FC000: field 0x70 -> 2^-15, mantissa 0x7FC000/2^23 = 1022/1024, so the value is
    // (2046/1024) * 2^-15 = 1023 * 2^-24 exactly -> largest subnormal 03FF.
    assertF16(0x387FC000, 0x03FF);
    // 387FE000: mantissa 1023/1024 -> 2047 * 2^-25 = 1023.5 * 2^-24, a tie between 03FF and 0400
    // (even) -> 0400, the smallest normal 2^-14.
    assertF16(0x387FE000, 0x0400);
    // 38800000: field 0x71 = 113 -> 2^-14 exactly -> 0400 (exponent field 1, mantissa 0).
    assertF16(0x38800000, 0x0400);
    // 477FEFFF: field 0x8E = 142 -> 2^15, mantissa just below 1 + 2047/2048, i.e. just below
    // 65520 (the midpoint between max finite 65504 = 7BFF and 65536) -> 7BFF.
    assertF16(0x477FEFFF, 0x7BFF);
    // 477FF000: exactly 65520, a tie between 7BFF (odd) and 65536 = 7C00 (even) -> +inf.
    assertF16(0x477FF000, 0x7C00);
  }

  @Test
  void f16SpecialValuesAndBoundaries() {
    // Signed zeros.
    assertF16(0x00000000, 0x0000);
    assertF16(0x80000000, 0x8000);
    // Infinities: 7C00 / FC00. Float.MAX_VALUE overflows too.
    assertF16(0x7F800000, 0x7C00);
    assertF16(0xFF800000, 0xFC00);
    assertF16(0x7F7FFFFF, 0x7C00);
    assertF16(0xFF7FFFFF, 0xFC00);
    // Max finite half 65504 = 1.1111111111b * 2^15: f32 field 142 = 0x8E, mantissa 0x7FE000
    // -> 477FE000 -> 7BFF; negative -65520 (C77FF000) overflows to -inf.
    assertF16(0x477FE000, 0x7BFF);
    assertF16(0xC77FE000, 0xFBFF);
    assertF16(0xC77FF000, 0xFC00);
    assertF16(0xC77FEFFF, 0xFBFF);
    // 65536 = 2^16 (47800000) is past the top binade -> inf.
    assertF16(0x47800000, 0x7C00);
    // Smallest subnormal 2^-24 = f32 field 103 = 0x67 -> 33800000 -> 0001.
    assertF16(0x33800000, 0x0001);
    // Just above 2^-25 (33000001) is nearer 2^-24 than 0 -> 0001; the negative tie -> -0.
    assertF16(0x33000001, 0x0001);
    assertF16(0xB3000000, 0x8000);
    assertF16(0xB3400000, 0x8001);
    // Float32 subnormals are far below 2^-25 -> signed zero.
    assertF16(0x00000001, 0x0000);
    assertF16(0x807FFFFF, 0x8000);
    // Subnormal ties: 2.5 * 2^-24 = 1.25 * 2^-23 (field 104 = 0x68, mantissa 0x200000) = 34200000
    // -> even 0002 (down); 3.5 * 2^-24 = 1.75 * 2^-23 = 34600000 -> even 0004 (up).
    assertF16(0x34200000, 0x0002);
    assertF16(0x34600000, 0x0004);
    // Normal ties at 1.0: the half ulp is 2^-10, so 1 + 2^-11 (3F801000: f32 mantissa bit 12)
    // is a tie between 3C00 (even) and 3C01 -> 3C00; 1 + 3 * 2^-11 (3F803000) is a tie between
    // 3C01 and 3C02 (even) -> 3C02; one f32 ulp above the first tie (3F801001) -> 3C01.
    assertF16(0x3F801000, 0x3C00);
    assertF16(0x3F803000, 0x3C02);
    assertF16(0x3F801001, 0x3C01);
    assertF16(0x3F800FFF, 0x3C00);
    // Mantissa carry into the exponent: 1.99999988 (3FFFFFFF) -> 2.0 = 4000.
    assertF16(0x3FFFFFFF, 0x4000);
    // Negatives: -1 = BF800000 -> BC00; -(1 + 3 * 2^-11) -> BC02.
    assertF16(0xBF800000, 0xBC00);
    assertF16(0xBF803000, 0xBC02);
    // Common values: 0.5 = 3F000000 -> 3800 (field 14); 0.1 = 3DCCCCCD -> 2E66 (f32 mantissa
    // 0x4CCCCD, top 10 bits 0x266, dropped 13 bits 0x0CCD < 0x1000 -> round down).
    assertF16(0x3F000000, 0x3800);
    assertF16(0x3DCCCCCD, 0x2E66);
  }

  @Test
  void f16NanIsCanonical7e00WithSign() {
    // torch: NaN -> 7E00 | sign, payload dropped.
    assertF16(0x7FC00000, 0x7E00);
    assertF16(0xFFC00000, 0xFE00);
    // numpy would give 7F00 here (keeps the payload); torch canonicalises.
    assertF16(0x7FE00000, 0x7E00);
    // Payload only in the bits that are shifted out: must still be NaN, not inf.
    assertF16(0x7F800001, 0x7E00);
    assertF16(0xFF800001, 0xFE00);
    assertF16(0x7FFFFFFF, 0x7E00);
  }

  @Test
  void f16DecodeHandValues() {
    // 3C00: field 15 -> 2^0 = 1.0; C000: sign, field 16 -> -2.0; 7BFF: 1.1111111111b * 2^15 =
    // 65504; 0001: 2^-24; 03FF: 1023 * 2^-24; 0400: 2^-14; 8000: -0.0; FC00: -inf; 3555: field
    // 13 -> 2^-2 * (1 + 0x155/1024) = 0.333251953125.
    assertSameFloat(1.0f, FloatCodecs.f16ToFloat((short) 0x3C00), "3C00");
    assertSameFloat(-2.0f, FloatCodecs.f16ToFloat((short) 0xC000), "C000");
    assertSameFloat(65504f, FloatCodecs.f16ToFloat((short) 0x7BFF), "7BFF");
    assertSameFloat(0x1p-24f, FloatCodecs.f16ToFloat((short) 0x0001), "0001");
    assertSameFloat(1023 * 0x1p-24f, FloatCodecs.f16ToFloat((short) 0x03FF), "03FF");
    assertSameFloat(-1023 * 0x1p-24f, FloatCodecs.f16ToFloat((short) 0x83FF), "83FF");
    assertSameFloat(0x1p-14f, FloatCodecs.f16ToFloat((short) 0x0400), "0400");
    assertSameFloat(-0.0f, FloatCodecs.f16ToFloat((short) 0x8000), "8000");
    assertSameFloat(Float.POSITIVE_INFINITY, FloatCodecs.f16ToFloat((short) 0x7C00), "7C00");
    assertSameFloat(Float.NEGATIVE_INFINITY, FloatCodecs.f16ToFloat((short) 0xFC00), "FC00");
    assertSameFloat(0.333251953125f, FloatCodecs.f16ToFloat((short) 0x3555), "3555");
    assertTrue(Float.isNaN(FloatCodecs.f16ToFloat((short) 0x7E00)));
    // NaN keeps sign and payload and is quieted: 7C01 (signalling, payload 1) -> 7F800000 |
    // quiet bit 00400000 | (1 << 13) = 7FC02000; FC01 -> FFC02000; 7E00 -> 7FC00000.
    assertEquals(0x7FC02000, Float.floatToRawIntBits(FloatCodecs.f16ToFloat((short) 0x7C01)));
    assertEquals(0xFFC02000, Float.floatToRawIntBits(FloatCodecs.f16ToFloat((short) 0xFC01)));
    assertEquals(0x7FC00000, Float.floatToRawIntBits(FloatCodecs.f16ToFloat((short) 0x7E00)));
  }

  // ---------------------------------------------------------------------------------------------
  // Exhaustive round trips
  // ---------------------------------------------------------------------------------------------

  @Test
  void bf16ExhaustiveRoundTrip() {
    for (int h = 0; h < 0x10000; h++) {
      float f = FloatCodecs.bf16ToFloat((short) h);
      boolean nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0;
      if (nan) {
        assertTrue(Float.isNaN(f), String.format("%04X should decode to NaN", h));
        assertEquals((short) 0x7FC0, FloatCodecs.floatToBf16(f));
      } else {
        // Decoding is exact: the float32 bits are the bf16 bits followed by 16 zero bits.
        assertEquals(h << 16, Float.floatToRawIntBits(f), String.format("decode %04X", h));
        assertEquals((short) h, FloatCodecs.floatToBf16(f), String.format("round trip %04X", h));
      }
    }
  }

  @Test
  void f16ExhaustiveRoundTrip() {
    for (int h = 0; h < 0x10000; h++) {
      float f = FloatCodecs.f16ToFloat((short) h);
      boolean nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
      if (nan) {
        assertTrue(Float.isNaN(f), String.format("%04X should decode to NaN", h));
        assertEquals((short) (0x7E00 | (h & 0x8000)), FloatCodecs.floatToF16(f));
      } else {
        // Independent exact decode from the fields.
        int e = (h >>> 10) & 0x1F;
        int m = h & 0x3FF;
        double v =
            e == 0x1F
                ? Double.POSITIVE_INFINITY
                : e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15);
        float expected = (float) ((h & 0x8000) != 0 ? -v : v);
        assertSameFloat(expected, f, String.format("decode %04X", h));
        assertEquals((short) h, FloatCodecs.floatToF16(f), String.format("round trip %04X", h));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Systematic cross-checks of the encoders against the double reference
  // ---------------------------------------------------------------------------------------------

  @Test
  void floatToF16MatchesDoubleReference() {
    // Low 13 bits are exactly the bits a normal f16 drops: 0 (exact), 0FFF (just below half),
    // 1000 (tie), 1001 (just above), 1FFF (just below the next value). Every exponent field,
    // every combination of the 10 mantissa bits a normal half keeps, both signs.
    int[] lows = {0x0000, 0x0FFF, 0x1000, 0x1001, 0x1FFF};
    int checked = 0;
    for (int sign = 0; sign <= 1; sign++) {
      for (int exp = 0; exp < 255; exp++) { // 255 = inf/NaN, covered by the hand tests
        for (int mantHigh = 0; mantHigh < 1024; mantHigh++) {
          for (int low : lows) {
            int bits = (sign << 31) | (exp << 23) | (mantHigh << 13) | low;
            float f = Float.intBitsToFloat(bits);
            int expected = referenceEncode(f, 5, 10);
            int got = FloatCodecs.floatToF16(f) & 0xFFFF;
            if (expected != got) {
              fail(String.format("f32 %08X: expected %04X, got %04X", bits, expected, got));
            }
            checked++;
          }
        }
      }
    }
    assertEquals(2 * 255 * 1024 * 5, checked);
  }

  @Test
  void floatToF16MatchesDoubleReferenceInSubnormalRange() {
    // Half subnormals drop more than 13 bits, so the ties sit elsewhere: sweep every float32 in
    // [2^-26, 2^-14] (f32 exponent fields 101..113) whose mantissa has any pattern in its top 14
    // bits plus a selection of low bits (which include the exact tie for every shift).
    int[] lows = {0x000, 0x001, 0x1FF, 0x200, 0x201, 0x3FF};
    for (int exp = 101; exp <= 113; exp++) {
      for (int top = 0; top < (1 << 14); top++) {
        for (int low : lows) {
          int bits = (exp << 23) | (top << 9) | low;
          for (int s = 0; s <= 1; s++) {
            int b = bits | (s << 31);
            float f = Float.intBitsToFloat(b);
            int expected = referenceEncode(f, 5, 10);
            int got = FloatCodecs.floatToF16(f) & 0xFFFF;
            if (expected != got) {
              fail(String.format("f32 %08X: expected %04X, got %04X", b, expected, got));
            }
          }
        }
      }
    }
  }

  @Test
  void floatToBf16MatchesDoubleReference() {
    // Every possible upper half (all 65536 bf16 candidates, minus inf/NaN exponents) combined with
    // the interesting low halves: exact, just below tie, tie, just above, just below next.
    int[] lows = {0x0000, 0x7FFF, 0x8000, 0x8001, 0xFFFF};
    for (int hi = 0; hi < 0x10000; hi++) {
      if ((hi & 0x7F80) == 0x7F80) {
        continue; // inf/NaN inputs: hand-tested above
      }
      for (int low : lows) {
        int bits = (hi << 16) | low;
        float f = Float.intBitsToFloat(bits);
        int expected = referenceEncode(f, 8, 7);
        int got = FloatCodecs.floatToBf16(f) & 0xFFFF;
        if (expected != got) {
          fail(String.format("f32 %08X: expected %04X, got %04X", bits, expected, got));
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // FP8
  // ---------------------------------------------------------------------------------------------

  @Test
  void f8e4m3AllPatternsMatchFieldReference() {
    for (int b = 0; b < 256; b++) {
      float expected = referenceF8(b, 4, 3, false);
      assertSameFloat(expected, FloatCodecs.f8e4m3ToFloat((byte) b), String.format("e4m3 %02X", b));
    }
  }

  @Test
  void f8e4m3HandValues() {
    // Layout S.EEEE.MMM, bias 7.
    // 7E = 0.1111.110: (1 + 6/8) * 2^(15-7) = 1.75 * 256 = 448, the maximum.
    assertSameFloat(448f, FloatCodecs.f8e4m3ToFloat((byte) 0x7E), "7E");
    assertSameFloat(-448f, FloatCodecs.f8e4m3ToFloat((byte) 0xFE), "FE");
    // 78 = 0.1111.000: 2^8 = 256 -- exponent 15 is an ordinary exponent in e4m3fn, not inf.
    assertSameFloat(256f, FloatCodecs.f8e4m3ToFloat((byte) 0x78), "78");
    // 7F / FF = S.1111.111: the only NaNs.
    assertTrue(Float.isNaN(FloatCodecs.f8e4m3ToFloat((byte) 0x7F)));
    assertTrue(Float.isNaN(FloatCodecs.f8e4m3ToFloat((byte) 0xFF)));
    // 01 = 0.0000.001: subnormal, (1/8) * 2^(1-7) = 2^-9.
    assertSameFloat(0x1p-9f, FloatCodecs.f8e4m3ToFloat((byte) 0x01), "01");
    // 07: largest subnormal 7 * 2^-9 = 0.013671875; 08 = 0.0001.000: smallest normal 2^-6.
    assertSameFloat(0.013671875f, FloatCodecs.f8e4m3ToFloat((byte) 0x07), "07");
    assertSameFloat(0x1p-6f, FloatCodecs.f8e4m3ToFloat((byte) 0x08), "08");
    // 38 = 0.0111.000: 2^0 = 1; C0 = 1.1000.000: -2^1 = -2; 80: -0.
    assertSameFloat(1f, FloatCodecs.f8e4m3ToFloat((byte) 0x38), "38");
    assertSameFloat(-2f, FloatCodecs.f8e4m3ToFloat((byte) 0xC0), "C0");
    assertSameFloat(-0f, FloatCodecs.f8e4m3ToFloat((byte) 0x80), "80");
    // 3D = 0.0111.101: 1 + 5/8 = 1.625.
    assertSameFloat(1.625f, FloatCodecs.f8e4m3ToFloat((byte) 0x3D), "3D");
  }

  @Test
  void f8e5m2AllPatternsMatchFieldReference() {
    for (int b = 0; b < 256; b++) {
      float expected = referenceF8(b, 5, 2, true);
      assertSameFloat(expected, FloatCodecs.f8e5m2ToFloat((byte) b), String.format("e5m2 %02X", b));
    }
  }

  @Test
  void f8e5m2HandValues() {
    // Layout S.EEEEE.MM, bias 15.
    // 7B = 0.11110.11: (1 + 3/4) * 2^(30-15) = 1.75 * 32768 = 57344, the maximum.
    assertSameFloat(57344f, FloatCodecs.f8e5m2ToFloat((byte) 0x7B), "7B");
    // 7C = 0.11111.00: +inf; FC: -inf; 7D..7F: NaN.
    assertSameFloat(Float.POSITIVE_INFINITY, FloatCodecs.f8e5m2ToFloat((byte) 0x7C), "7C");
    assertSameFloat(Float.NEGATIVE_INFINITY, FloatCodecs.f8e5m2ToFloat((byte) 0xFC), "FC");
    assertTrue(Float.isNaN(FloatCodecs.f8e5m2ToFloat((byte) 0x7D)));
    assertTrue(Float.isNaN(FloatCodecs.f8e5m2ToFloat((byte) 0x7E)));
    assertTrue(Float.isNaN(FloatCodecs.f8e5m2ToFloat((byte) 0xFF)));
    // 01 = 0.00000.01: subnormal (1/4) * 2^-14 = 2^-16; 04 = 0.00001.00: smallest normal 2^-14.
    assertSameFloat(0x1p-16f, FloatCodecs.f8e5m2ToFloat((byte) 0x01), "01");
    assertSameFloat(0x1p-14f, FloatCodecs.f8e5m2ToFloat((byte) 0x04), "04");
    // 3C = 0.01111.00: 2^0 = 1; C2 = 1.10000.10: -(1.5 * 2) = -3; 80: -0.
    assertSameFloat(1f, FloatCodecs.f8e5m2ToFloat((byte) 0x3C), "3C");
    assertSameFloat(-3f, FloatCodecs.f8e5m2ToFloat((byte) 0xC2), "C2");
    assertSameFloat(-0f, FloatCodecs.f8e5m2ToFloat((byte) 0x80), "80");
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk paths
  // ---------------------------------------------------------------------------------------------

  /** A little-endian heap buffer with {@code pad} junk bytes before the position. */
  private static ByteBuffer leBuffer(int pad, int size) {
    ByteBuffer b = ByteBuffer.allocate(pad + size + 7).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < b.capacity(); i++) {
      b.put(i, (byte) 0x5A);
    }
    b.position(pad);
    return b;
  }

  @Test
  void bulkDecode16BitAgreesWithScalarAtOddPosition() {
    for (DType dt : new DType[] {DType.F16, DType.BF16}) {
      for (ByteBuffer buf :
          new ByteBuffer[] {
            leBuffer(3, 2 * 0x10000),
            ByteBuffer.allocateDirect(2 * 0x10000 + 10).order(ByteOrder.LITTLE_ENDIAN).position(3)
          }) {
        int pos = buf.position();
        // Write every 16-bit pattern, little-endian by hand: low byte first.
        for (int h = 0; h < 0x10000; h++) {
          buf.put(pos + 2 * h, (byte) h);
          buf.put(pos + 2 * h + 1, (byte) (h >>> 8));
        }
        float[] dst = new float[0x10000 + 5];
        dst[0] = 42f;
        dst[dst.length - 1] = 43f;
        FloatCodecs.decode(dt, buf, dst, 1, 0x10000);
        assertEquals(pos + 2 * 0x10000, buf.position(), "position advanced");
        assertEquals(42f, dst[0], "before dstOff untouched");
        assertEquals(43f, dst[dst.length - 1], "after range untouched");
        for (int h = 0; h < 0x10000; h++) {
          float scalar =
              dt == DType.F16
                  ? FloatCodecs.f16ToFloat((short) h)
                  : FloatCodecs.bf16ToFloat((short) h);
          // Compare bits directly (NaNs included: both come from the same scalar function) and
          // format a message only on failure; 2^17 formatted messages would dominate the runtime.
          if (Float.floatToRawIntBits(scalar) != Float.floatToRawIntBits(dst[1 + h])) {
            fail(String.format("%s %04X: scalar %s, bulk %s", dt, h, scalar, dst[1 + h]));
          }
        }
      }
    }
  }

  @Test
  void bulkDecodeF8AgreesWithScalar() {
    for (DType dt : new DType[] {DType.F8_E4M3, DType.F8_E5M2}) {
      ByteBuffer buf = leBuffer(5, 256);
      for (int b = 0; b < 256; b++) {
        buf.put(5 + b, (byte) b);
      }
      float[] dst = new float[256 + 2];
      FloatCodecs.decode(dt, buf, dst, 2, 256);
      assertEquals(5 + 256, buf.position());
      for (int b = 0; b < 256; b++) {
        float scalar =
            dt == DType.F8_E4M3
                ? FloatCodecs.f8e4m3ToFloat((byte) b)
                : FloatCodecs.f8e5m2ToFloat((byte) b);
        assertSameFloat(scalar, dst[2 + b], dt + String.format(" %02X", b));
      }
    }
  }

  @Test
  void bulkDecodeF32AndF64() {
    // F32: bytes 00 00 80 3F = 3F800000 little-endian = 1.0; 00 00 C0 FF = FFC00000 = -NaN.
    ByteBuffer buf = leBuffer(1, 16);
    buf.put(1, (byte) 0x00).put(2, (byte) 0x00).put(3, (byte) 0x80).put(4, (byte) 0x3F);
    buf.putFloat(5, -0.0f).putFloat(9, Float.MIN_VALUE).putFloat(13, Float.intBitsToFloat(0xFFC00000));
    float[] dst = new float[4];
    FloatCodecs.decode(DType.F32, buf, dst, 0, 4);
    assertEquals(17, buf.position());
    assertSameFloat(1.0f, dst[0], "1.0");
    assertSameFloat(-0.0f, dst[1], "-0");
    assertSameFloat(Float.MIN_VALUE, dst[2], "min subnormal");
    assertTrue(Float.isNaN(dst[3]));

    // F64 is a (float) cast, round to nearest even:
    // 1 + 2^-24 is halfway between 1 and 1 + 2^-23 (float ulp at 1) -> even 1.0;
    // 1 + 3 * 2^-24 is halfway between 1 + 2^-23 (odd) and 1 + 2^-22 (even) -> 1 + 2^-22;
    // 1e300 > Float.MAX_VALUE -> inf; 0.1 -> the float nearest 0.1 (3DCCCCCD); -0.0 -> -0.0.
    double[] in = {1 + 0x1p-24, 1 + 3 * 0x1p-24, 1e300, 0.1, -0.0};
    ByteBuffer d = leBuffer(3, 8 * in.length);
    for (int i = 0; i < in.length; i++) {
      d.putDouble(3 + 8 * i, in[i]);
    }
    float[] out = new float[in.length];
    FloatCodecs.decode(DType.F64, d, out, 0, in.length);
    assertEquals(3 + 8 * in.length, d.position());
    assertSameFloat(1.0f, out[0], "tie down");
    assertSameFloat(1 + 0x1p-22f, out[1], "tie up");
    assertSameFloat(Float.POSITIVE_INFINITY, out[2], "overflow");
    assertEquals(0x3DCCCCCD, Float.floatToRawIntBits(out[3]));
    assertSameFloat(-0.0f, out[4], "-0");
  }

  /** Inputs that hit every encoder branch: zeros, ties, subnormals, overflow, inf, NaN. */
  private static float[] encoderInputs() {
    int[] bits = {
      0x00000000, 0x80000000, 0x3F800000, 0xBF803000, 0x3F808000, 0x3F818000, 0x00018000,
      0x33000000, 0x33400000, 0x33C00000, 0x387FE000, 0x477FEFFF, 0x477FF000, 0x7F7FFFFF,
      0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x3DCCCCCD, 0x40490FDB
    };
    float[] f = new float[bits.length];
    for (int i = 0; i < bits.length; i++) {
      f[i] = Float.intBitsToFloat(bits[i]);
    }
    return f;
  }

  @Test
  void bulkEncodeAgreesWithScalarAtNonZeroPosition() {
    float[] in = encoderInputs();
    int n = in.length - 3; // encode a sub-range starting at srcOff 2
    for (DType dt : new DType[] {DType.F16, DType.BF16}) {
      ByteBuffer buf = leBuffer(5, 2 * n);
      FloatCodecs.encode(dt, in, 2, n, buf);
      assertEquals(5 + 2 * n, buf.position());
      assertEquals((byte) 0x5A, buf.get(4), "byte before untouched");
      assertEquals((byte) 0x5A, buf.get(5 + 2 * n), "byte after untouched");
      for (int i = 0; i < n; i++) {
        short expected =
            dt == DType.F16 ? FloatCodecs.floatToF16(in[2 + i]) : FloatCodecs.floatToBf16(in[2 + i]);
        // Little-endian by hand: low byte first.
        int got = (buf.get(5 + 2 * i) & 0xFF) | ((buf.get(5 + 2 * i + 1) & 0xFF) << 8);
        assertEquals(expected & 0xFFFF, got, dt + " element " + i);
      }
    }
    // F32 keeps bits (including NaN payloads on this platform); F64 widens exactly.
    ByteBuffer f32 = leBuffer(1, 4 * n);
    FloatCodecs.encode(DType.F32, in, 2, n, f32);
    assertEquals(1 + 4 * n, f32.position());
    ByteBuffer f64 = ByteBuffer.allocateDirect(3 + 8 * n).order(ByteOrder.LITTLE_ENDIAN);
    f64.position(3);
    FloatCodecs.encode(DType.F64, in, 2, n, f64);
    assertEquals(3 + 8 * n, f64.position());
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToRawIntBits(in[2 + i]), f32.getInt(1 + 4 * i), "F32 " + i);
      assertSameFloat(in[2 + i], (float) f64.getDouble(3 + 8 * i), "F64 " + i);
    }
    // Element 0 of the encoded sub-range is in[2] = 1.0 = 3F800000, little-endian 00 00 80 3F.
    assertArrayEquals(
        new byte[] {0x00, 0x00, (byte) 0x80, 0x3F},
        new byte[] {f32.get(1), f32.get(2), f32.get(3), f32.get(4)});
  }

  @Test
  void bulkRoundTripThroughEncodeDecode() {
    float[] in = encoderInputs();
    for (DType dt : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}) {
      ByteBuffer buf = leBuffer(0, dt.byteSize() * in.length);
      FloatCodecs.encode(dt, in, 0, in.length, buf);
      buf.flip();
      float[] out = new float[in.length];
      FloatCodecs.decode(dt, buf, out, 0, in.length);
      assertEquals(0, buf.remaining());
      for (int i = 0; i < in.length; i++) {
        float expected;
        switch (dt) {
          case F16:
            expected = FloatCodecs.f16ToFloat(FloatCodecs.floatToF16(in[i]));
            break;
          case BF16:
            expected = FloatCodecs.bf16ToFloat(FloatCodecs.floatToBf16(in[i]));
            break;
          default:
            expected = in[i];
        }
        assertSameFloat(expected, out[i], dt + " " + i);
      }
    }
  }

  @Test
  void zeroCountIsANoOp() {
    ByteBuffer buf = leBuffer(2, 0);
    FloatCodecs.decode(DType.F16, buf, new float[0], 0, 0);
    FloatCodecs.encode(DType.BF16, new float[0], 0, 0, buf);
    assertEquals(2, buf.position());
  }

  @Test
  void unsupportedDtypesAreRejectedByName() {
    ByteBuffer buf = leBuffer(0, 64);
    for (DType dt : DType.values()) {
      boolean decodable = dt == DType.F64 || dt == DType.F32 || dt == DType.F16
          || dt == DType.BF16 || dt == DType.F8_E4M3 || dt == DType.F8_E5M2;
      boolean encodable = dt == DType.F64 || dt == DType.F32 || dt == DType.F16
          || dt == DType.BF16;
      if (!decodable) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> FloatCodecs.decode(dt, buf, new float[1], 0, 1));
        assertTrue(e.getMessage().contains(dt.code()), e.getMessage());
      }
      if (!encodable) {
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class,
                () -> FloatCodecs.encode(dt, new float[1], 0, 1, buf));
        assertTrue(e.getMessage().contains(dt.code()), e.getMessage());
      }
    }
    assertEquals(0, buf.position());
  }

  @Test
  void shortBuffersAndBadOrderFailWithoutSideEffects() {
    ByteBuffer small = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN);
    small.position(1); // 4 bytes left: 2 F16 elements, not 3
    float[] dst = {7f, 7f, 7f};
    assertThrows(BufferUnderflowException.class, () -> FloatCodecs.decode(DType.F16, small, dst, 0, 3));
    assertEquals(1, small.position());
    assertArrayEquals(new float[] {7f, 7f, 7f}, dst);
    assertThrows(BufferOverflowException.class, () -> FloatCodecs.encode(DType.F32, dst, 0, 2, small));
    assertEquals(1, small.position());
    assertEquals(0, small.get(1));
    // dst range out of bounds.
    assertThrows(
        IndexOutOfBoundsException.class, () -> FloatCodecs.decode(DType.F16, small, dst, 2, 2));
    // Big-endian buffers are refused rather than silently byte-swapped.
    ByteBuffer be = ByteBuffer.allocate(8);
    assertThrows(IllegalArgumentException.class, () -> FloatCodecs.decode(DType.F16, be, dst, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> FloatCodecs.encode(DType.F16, dst, 0, 1, be));
  }

  /**
   * The bulk bf16 loops (Vector API where the JVM has it: VectorModule) give the scalar functions'
   * bits: every bf16 pattern decoded, and random float patterns — NaNs of both signs, infinities,
   * subnormals, rounding ties — encoded, through a buffer with an array offset and a position, a
   * count that is not a whole number of vectors.
   */
  @Test
  void bulkBf16LoopsMatchTheScalarFunctions() {
    assertTrue(VectorModule.ENABLED, "the tests run with --add-modules=jdk.incubator.vector");
    int n = 0x10000 + 5;
    ByteBuffer backing = ByteBuffer.allocate(2 * n + 16);
    ByteBuffer encoded = backing.position(6).slice().order(ByteOrder.LITTLE_ENDIAN);
    encoded.position(2);
    for (int h = 0; h < n; h++) {
      encoded.putShort(2 + 2 * h, (short) h);
    }
    float[] decoded = new float[n + 3];
    FloatCodecs.decode(DType.BF16, encoded, decoded, 3, n - 1);
    for (int h = 0; h < n - 1; h++) {
      assertEquals(Float.floatToRawIntBits(FloatCodecs.bf16ToFloat((short) h)),
          Float.floatToRawIntBits(decoded[3 + h]), String.format("decode %04X", h & 0xFFFF));
    }

    java.util.Random r = new java.util.Random(9);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      int bits = r.nextInt();
      if (i % 4 == 0) {
        bits = (bits & 0xFFFF0000) | 0x8000; // a rounding tie
      } else if (i % 4 == 1) { // NaN, infinity, subnormal or zero
        bits = (bits & 0x807FFFFF) | (r.nextBoolean() ? 0x7F800000 : 0);
      }
      values[i] = Float.intBitsToFloat(bits);
    }
    ByteBuffer out = ByteBuffer.allocate(2 * n + 16).position(4).slice()
        .order(ByteOrder.LITTLE_ENDIAN);
    out.position(2);
    FloatCodecs.encode(DType.BF16, values, 1, n - 1, out);
    for (int i = 1; i < n; i++) {
      assertEquals(FloatCodecs.floatToBf16(values[i]), out.getShort(2 + 2 * (i - 1)),
          String.format("encode %08X", Float.floatToRawIntBits(values[i])));
    }
  }
}
