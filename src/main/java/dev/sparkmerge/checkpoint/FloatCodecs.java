package dev.sparkmerge.checkpoint;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;

/**
 * Conversions between the floating-point safetensors dtypes and Java {@code float}
 * (reference/safetensors.md §2.3 and §2.5).
 *
 * <p>Decoding (BF16, F16, F8_E4M3, F8_E5M2 → float32) is exact: every value of those formats is a
 * float32 value. Decoding F64 is a plain {@code (float)} cast, i.e. IEEE round to nearest even with
 * overflow to ±inf.
 *
 * <p>Encoding (float32 → BF16 / F16) matches torch bit for bit for every non-NaN input: round to
 * nearest, ties to even, with correct subnormals and overflow to ±inf. NaNs are canonicalised the
 * way torch's scalar code does (see {@link #floatToBf16} and {@link #floatToF16}).
 *
 * <p>The bulk methods work on little-endian byte data, as stored in safetensors files.
 */
public final class FloatCodecs {

  /** F16 exponent bias is 15 and float32's is 127: rebias by 112 (shifted into place below). */
  private static final int F32_TO_F16_REBIAS = (127 - 15) << 23; // 0x38000000

  /** float32 bits of 2^-14, the smallest normal half. Below it the half result is subnormal. */
  private static final int F16_MIN_NORMAL_AS_F32 = 0x38800000;

  /**
   * float32 bits of 65520 = (2 - 2^-11) * 2^15, halfway between the largest half (65504) and the
   * next step 65536 (which would be 2^16, one past the exponent range). A tie rounds to the even
   * neighbour, and that is 65536, i.e. infinity, so everything from here up overflows.
   */
  private static final int F16_OVERFLOW_AS_F32 = 0x477FF000;

  /**
   * float32 bits of 2^-25, half the smallest half subnormal (2^-24). Values up to and including
   * it round to zero: strictly below it is nearer 0, and exactly it is a tie that goes to the even
   * neighbour 0.
   */
  private static final int F16_HALF_MIN_SUBNORMAL_AS_F32 = 0x33000000;

  /** Canonical quiet NaN that c10::BFloat16's scalar constructor emits for every NaN. */
  private static final short BF16_NAN = (short) 0x7FC0;

  /** Canonical quiet NaN magnitude torch emits for F16; torch keeps the sign bit. */
  private static final int F16_NAN = 0x7E00;

  // Decode tables for the bulk paths: a table load is cheaper than the branches of the bit
  // arithmetic, and 256 KiB for F16 fits comfortably in L2. They are built from the scalar
  // functions, so the two paths agree by construction (and the tests check it).
  private static final float[] F16_TABLE = new float[1 << 16];
  private static final float[] E4M3_TABLE = new float[1 << 8];
  private static final float[] E5M2_TABLE = new float[1 << 8];

  static {
    for (int i = 0; i < F16_TABLE.length; i++) {
      F16_TABLE[i] = f16ToFloat((short) i);
    }
    for (int i = 0; i < E4M3_TABLE.length; i++) {
      E4M3_TABLE[i] = f8e4m3ToFloat((byte) i);
      E5M2_TABLE[i] = f8e5m2ToFloat((byte) i);
    }
  }

  private FloatCodecs() {}

  // ---------------------------------------------------------------------------------------------
  // BF16
  // ---------------------------------------------------------------------------------------------

  /** Exact: a bf16 is the upper half of a float32, so shift it back into place. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /**
   * float32 → bf16 exactly as torch does it: round to nearest, ties to even, via
   * {@code (bits + 0x7FFF + lsb) >>> 16} where {@code lsb} is bit 16 of the input (the lowest bit
   * that survives). Adding 0x7FFF rounds anything above the halfway point up; the extra {@code
   * lsb} makes the exact halfway case round up only when that leaves an even result. A carry out of
   * the mantissa correctly bumps the exponent, so the largest finite values round to ±inf, ±inf
   * stays ±inf, and subnormals round correctly (no flush to zero).
   *
   * <p>NaN: every NaN, whatever its sign and payload, becomes {@code 0x7FC0}, the positive
   * canonical quiet NaN that torch's scalar {@code c10::BFloat16} constructor produces. The sign and
   * payload are not kept. (Torch's vectorised CPU path gives 0xFFFF instead, so compare NaNs by
   * class, not by bits.) The bias trick must not be applied to NaN: it could carry a payload into
   * the exponent bits or turn a NaN with a small payload into infinity.
   */
  public static short floatToBf16(float value) {
    if (Float.isNaN(value)) {
      return BF16_NAN;
    }
    int bits = Float.floatToRawIntBits(value);
    int lsb = (bits >>> 16) & 1;
    // No 32-bit overflow: the largest non-NaN pattern is -inf 0xFF800000, far from 0xFFFFFFFF.
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  // ---------------------------------------------------------------------------------------------
  // F16 (IEEE binary16: 1 sign, 5 exponent bits with bias 15, 10 mantissa bits)
  // ---------------------------------------------------------------------------------------------

  /**
   * Exact: every half value, including subnormals, is a float32 value. NaNs keep their sign and
   * payload and come out quiet (bit-identical to Java 20's {@code Float.float16ToFloat}).
   */
  public static float f16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0) {
      // Zero or subnormal: mant * 2^-24. mant < 2^10 and the scale is a power of two, so the
      // product is exact; the sign is applied separately so -0 stays -0.
      float magnitude = mant * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    if (exp == 0x1F) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign | 0x7F800000); // +-infinity
      }
      // NaN: widen the payload into the top of float32's mantissa and set the quiet bit, as the
      // hardware conversion (F16C), torch and Java 20's Float.float16ToFloat all do. A
      // signalling-NaN float would be quieted anyway by the first arithmetic on it.
      return Float.intBitsToFloat(sign | 0x7FC00000 | (mant << 13));
    }
    // Normal: rebias the exponent from 15 to 127 and widen the mantissa from 10 to 23 bits.
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /**
   * float32 → IEEE binary16, round to nearest, ties to even, with correct subnormals and overflow
   * to ±inf (what torch and Java 20's {@code Float.floatToFloat16} do for non-NaN inputs).
   *
   * <p>NaN: canonicalised to {@code 0x7E00 | sign}, as torch does; the payload is not kept.
   */
  public static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7FFFFFFF;

    if (abs > 0x7F800000) {
      return (short) (sign | F16_NAN);
    }
    if (abs >= F16_OVERFLOW_AS_F32) {
      // Also covers +-inf itself (0x7F800000).
      return (short) (sign | 0x7C00);
    }
    if (abs >= F16_MIN_NORMAL_AS_F32) {
      // Normal half result. Rebias the exponent while it is still in float32 position, then drop
      // the 13 low mantissa bits with the same round-half-even bias trick as bf16 (0x0FFF is
      // "just under half" of 2^13, lsb breaks the tie towards even). A mantissa carry bumps the
      // exponent, which is the correct result; it cannot reach 0x7C00 because the overflow case
      // was handled above (0x477FEFFF, the largest input here, rounds down to 0x7BFF).
      int h = abs - F32_TO_F16_REBIAS;
      int lsb = (h >>> 13) & 1;
      return (short) (sign | ((h + 0x0FFF + lsb) >>> 13));
    }
    if (abs <= F16_HALF_MIN_SUBNORMAL_AS_F32) {
      // Rounds to zero (this includes every float32 subnormal). Keep the sign: -tiny → -0.
      return (short) sign;
    }
    // Subnormal half result: the answer is round(|value| / 2^-24) as an integer mantissa.
    // |value| = sig * 2^(e - 150) with the 24-bit significand sig (implicit 1 restored), so
    // |value| / 2^-24 = sig * 2^(e - 126) = sig >> (126 - e). Here 102 < e < 113, so the shift is
    // in 14..24: at least one bit is dropped and the halfway bit always exists.
    int e = abs >>> 23;
    int sig = (abs & 0x7FFFFF) | 0x800000;
    int shift = 126 - e;
    int q = sig >>> shift;
    int rem = sig & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) {
      // May carry to q == 0x400, which is exactly the encoding of the smallest normal 2^-14.
      q++;
    }
    return (short) (sign | q);
  }

  // ---------------------------------------------------------------------------------------------
  // FP8
  // ---------------------------------------------------------------------------------------------

  /**
   * FP8 E4M3FN → float32, exact. Layout S.EEEE.MMM, bias 7, with subnormals (exponent field 0:
   * m * 2^-9). There are no infinities: S.1111.111 is NaN and S.1111.110 is ±448, the maximum.
   */
  public static float f8e4m3ToFloat(byte bits) {
    int b = bits & 0xFF;
    int sign = (b & 0x80) << 24;
    int exp = (b >>> 3) & 0xF;
    int mant = b & 0x7;
    if ((b & 0x7F) == 0x7F) {
      // The only NaN encodings (two, by sign). Return a quiet NaN with the same sign.
      return Float.intBitsToFloat(sign | 0x7FC00000);
    }
    if (exp == 0) {
      // Subnormal: 2^(1-7) * (mant / 8) = mant * 2^-9, exact.
      float magnitude = mant * 0x1p-9f;
      return sign == 0 ? magnitude : -magnitude;
    }
    // Normal (exponent field 15 is an ordinary exponent here, except for the NaN pattern above):
    // rebias 7 → 127 and widen the 3 mantissa bits to 23.
    return Float.intBitsToFloat(sign | ((exp + 120) << 23) | (mant << 20));
  }

  /**
   * FP8 E5M2 → float32, exact. Layout S.EEEEE.MM, bias 15, IEEE-like: exponent field 31 holds
   * ±inf (mantissa 0) and NaNs; maximum finite value 57344.
   *
   * <p>E5M2 has the same sign and exponent fields as binary16 and just a shorter mantissa, so an
   * E5M2 byte is exactly the upper byte of the half with the same value; decode it as that half.
   */
  public static float f8e5m2ToFloat(byte bits) {
    return f16ToFloat((short) ((bits & 0xFF) << 8));
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk paths for the chunked reader and writer
  // ---------------------------------------------------------------------------------------------

  /**
   * Decodes {@code count} elements of {@code dtype} from {@code src}'s current position into
   * {@code dst[dstOff .. dstOff + count)} and advances {@code src}'s position past them.
   *
   * <p>Supported: F64 (rounded by a {@code (float)} cast), F32, F16, BF16, F8_E4M3, F8_E5M2. Other
   * dtypes (integers, bool, sub-byte and FNUZ/E8M0 floats) are carried as raw bytes elsewhere.
   *
   * @param src must have {@link ByteOrder#LITTLE_ENDIAN} order (safetensors data is little-endian)
   * @throws IllegalArgumentException for an unsupported dtype or a big-endian {@code src}
   * @throws BufferUnderflowException if {@code src} has fewer than {@code count} elements left;
   *     nothing is read or written in that case
   * @throws IndexOutOfBoundsException if the {@code dst} range is out of bounds or count < 0
   */
  public static void decode(DType dtype, ByteBuffer src, float[] dst, int dstOff, int count) {
    Objects.requireNonNull(dtype, "dtype");
    if (!dtype.isFloatingPoint()) {
      throw new IllegalArgumentException("cannot decode dtype " + dtype.code() + " to float32");
    }
    requireLittleEndian(src);
    Objects.checkFromIndexSize(dstOff, count, dst.length);
    // Check up front so a short buffer fails before anything is consumed or overwritten.
    long bytes = (long) count * dtype.byteSize();
    if (src.remaining() < bytes) {
      throw new BufferUnderflowException();
    }
    int start = src.position();
    switch (dtype) {
      case F32:
        {
          // The view shares src's content and byte order; its bulk get is a plain copy.
          src.asFloatBuffer().get(dst, dstOff, count);
          break;
        }
      case F64:
        {
          for (int i = 0; i < count; i++) {
            dst[dstOff + i] = (float) src.getDouble(start + 8 * i);
          }
          break;
        }
      case BF16:
        {
          int i = VectorModule.ENABLED && src.hasArray()
              ? SimdCodecs.decodeBf16(src.array(), src.arrayOffset() + start, dst, dstOff, count)
              : 0;
          ShortBuffer s = src.asShortBuffer();
          for (; i < count; i++) {
            dst[dstOff + i] = Float.intBitsToFloat((s.get(i) & 0xFFFF) << 16);
          }
          break;
        }
      case F16:
        {
          ShortBuffer s = src.asShortBuffer();
          for (int i = 0; i < count; i++) {
            dst[dstOff + i] = F16_TABLE[s.get(i) & 0xFFFF];
          }
          break;
        }
      case F8_E4M3:
        {
          for (int i = 0; i < count; i++) {
            dst[dstOff + i] = E4M3_TABLE[src.get(start + i) & 0xFF];
          }
          break;
        }
      case F8_E5M2:
        {
          for (int i = 0; i < count; i++) {
            dst[dstOff + i] = E5M2_TABLE[src.get(start + i) & 0xFF];
          }
          break;
        }
      default:
        throw new AssertionError(dtype); // excluded by isFloatingPoint() above
    }
    // All reads above were absolute (or through a view), so advance the position once here.
    src.position(start + (int) bytes);
  }

  /**
   * Encodes {@code src[srcOff .. srcOff + count)} as {@code dtype} at {@code dst}'s current
   * position and advances {@code dst}'s position past them.
   *
   * <p>Supported: F32 (bits as they are), F64 (exact widening), F16 ({@link #floatToF16}), BF16
   * ({@link #floatToBf16}).
   *
   * @param dst must have {@link ByteOrder#LITTLE_ENDIAN} order (safetensors data is little-endian)
   * @throws IllegalArgumentException for an unsupported dtype or a big-endian {@code dst}
   * @throws BufferOverflowException if {@code dst} has room for fewer than {@code count}
   *     elements; nothing is written in that case
   * @throws IndexOutOfBoundsException if the {@code src} range is out of bounds or count < 0
   */
  public static void encode(DType dtype, float[] src, int srcOff, int count, ByteBuffer dst) {
    Objects.requireNonNull(dtype, "dtype");
    if (dtype != DType.F32 && dtype != DType.F64 && dtype != DType.F16 && dtype != DType.BF16) {
      throw new IllegalArgumentException("cannot encode float32 as dtype " + dtype.code());
    }
    requireLittleEndian(dst);
    Objects.checkFromIndexSize(srcOff, count, src.length);
    long bytes = (long) count * dtype.byteSize();
    if (dst.remaining() < bytes) {
      throw new BufferOverflowException();
    }
    int start = dst.position();
    switch (dtype) {
      case F32:
        {
          FloatBuffer f = dst.asFloatBuffer();
          f.put(src, srcOff, count);
          break;
        }
      case F64:
        {
          for (int i = 0; i < count; i++) {
            dst.putDouble(start + 8 * i, src[srcOff + i]);
          }
          break;
        }
      case BF16:
        {
          int i = VectorModule.ENABLED && dst.hasArray() && !dst.isReadOnly()
              ? SimdCodecs.encodeBf16(src, srcOff, count, dst.array(), dst.arrayOffset() + start)
              : 0;
          ShortBuffer s = dst.asShortBuffer();
          for (; i < count; i++) {
            s.put(i, floatToBf16(src[srcOff + i]));
          }
          break;
        }
      case F16:
        {
          ShortBuffer s = dst.asShortBuffer();
          for (int i = 0; i < count; i++) {
            s.put(i, floatToF16(src[srcOff + i]));
          }
          break;
        }
      default:
        throw new AssertionError(dtype); // excluded above
    }
    dst.position(start + (int) bytes);
  }

  private static void requireLittleEndian(ByteBuffer buf) {
    if (buf.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException(
          "safetensors data is little-endian; set ByteOrder.LITTLE_ENDIAN on the buffer");
    }
  }
}
