package dev.sparkmerge.checkpoint;

import java.util.HashMap;
import java.util.Map;

/**
 * The 22 safetensors dtype codes (reference/safetensors.md §2.1). {@code writerRank} is the
 * position the reference writer sorts by (descending), which places every tensor on its natural
 * alignment without padding.
 */
public enum DType {
  BOOL(8, 0),
  F4(4, 1),
  F6_E2M3(6, 2),
  F6_E3M2(6, 3),
  U8(8, 4),
  I8(8, 5),
  F8_E5M2(8, 6),
  F8_E4M3(8, 7),
  F8_E8M0(8, 8),
  F8_E4M3FNUZ(8, 9),
  F8_E5M2FNUZ(8, 10),
  I16(16, 11),
  U16(16, 12),
  F16(16, 13),
  BF16(16, 14),
  I32(32, 15),
  U32(32, 16),
  F32(32, 17),
  C64(64, 18),
  F64(64, 19),
  I64(64, 20),
  U64(64, 21);

  private static final Map<String, DType> BY_CODE = new HashMap<>();

  static {
    for (DType d : values()) {
      BY_CODE.put(d.name(), d);
    }
  }

  private final int bits;
  private final int writerRank;

  DType(int bits, int writerRank) {
    this.bits = bits;
    this.writerRank = writerRank;
  }

  /** The dtype for an exact, case-sensitive safetensors code, or null. */
  public static DType fromCode(String code) {
    return BY_CODE.get(code);
  }

  public String code() {
    return name();
  }

  public int bits() {
    return bits;
  }

  public int writerRank() {
    return writerRank;
  }

  /** Bytes per element for whole-byte dtypes; sub-byte dtypes (F4, F6_*) return 0. */
  public int byteSize() {
    return bits % 8 == 0 ? bits / 8 : 0;
  }

  /** True for the dtypes the merge kernels decode to float32 (and the writer can encode to). */
  public boolean isFloatingPoint() {
    switch (this) {
      case F64:
      case F32:
      case F16:
      case BF16:
      case F8_E4M3:
      case F8_E5M2:
        return true;
      default:
        return false;
    }
  }
}
