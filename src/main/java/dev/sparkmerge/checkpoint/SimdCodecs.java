package dev.sparkmerge.checkpoint;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2S;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API forms of {@link FloatCodecs}' bf16 loops over byte arrays: eight values per step,
 * the scalar functions' bits (FloatCodecsTest runs both). Loaded only when
 * {@link VectorModule#ENABLED}.
 */
final class SimdCodecs {
  private static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_128;
  private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_256;
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_256;
  private static final int LANES = 8;

  private SimdCodecs() {}

  /** Decodes count bf16 values at src[srcPos …] into dst[dstOff …]; returns how many it did. */
  static int decodeBf16(byte[] src, int srcPos, float[] dst, int dstOff, int count) {
    int end = count - count % LANES;
    for (int i = 0; i < end; i += LANES) {
      ShortVector s = ShortVector.fromByteArray(SHORTS, src, srcPos + 2 * i,
          ByteOrder.LITTLE_ENDIAN);
      // Sign extension is harmless: the upper half is shifted out.
      IntVector bits = ((IntVector) s.convertShape(S2I, INTS, 0)).lanewise(LSHL, 16);
      bits.reinterpretAsFloats().intoArray(dst, dstOff + i);
    }
    return end;
  }

  /**
   * Encodes src[srcOff …] as count bf16 values at dst[dstPos …] as {@link
   * FloatCodecs#floatToBf16} does (round to nearest even, every NaN to 0x7FC0); returns how many.
   */
  static int encodeBf16(float[] src, int srcOff, int count, byte[] dst, int dstPos) {
    int end = count - count % LANES;
    for (int i = 0; i < end; i += LANES) {
      IntVector bits = FloatVector.fromArray(FLOATS, src, srcOff + i).reinterpretAsInts();
      IntVector rounded = bits.add(0x7FFF).add(bits.lanewise(LSHR, 16).and(1))
          .lanewise(LSHR, 16);
      // −1 where the value is a NaN: its magnitude's bits are above infinity's.
      IntVector nan = IntVector.broadcast(INTS, 0x7F800000).sub(bits.and(0x7FFFFFFF))
          .lanewise(ASHR, 31);
      IntVector half = rounded.and(nan.not()).or(nan.and(0x7FC0));
      ((ShortVector) half.convertShape(I2S, SHORTS, 0)).intoByteArray(dst, dstPos + 2 * i,
          ByteOrder.LITTLE_ENDIAN);
    }
    return end;
  }
}
