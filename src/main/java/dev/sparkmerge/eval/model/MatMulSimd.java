package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;

/**
 * Which {@link MatMul} kernel this JVM runs: the 512-bit one ({@link GemmWide}), the 128/256-bit
 * one ({@link GemmNarrow}), or the scalar {@link MatMulContract}. The Vector API needs
 * {@code --add-modules=jdk.incubator.vector} (our scripts, tests and Spark's launcher add it);
 * {@code -Dsparkmerge.simd=false} forces the scalar code. All give the same bits.
 *
 * <p>Classes using the Vector API are only loaded behind this check: without the module they
 * could not be linked.
 */
final class MatMulSimd {
  enum Kernel { WIDE, NARROW, SCALAR }

  static final Kernel KERNEL = detect();

  private MatMulSimd() {}

  private static Kernel detect() {
    if ("false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return Kernel.SCALAR;
    }
    try {
      return kernelFor(preferredFloatLanes());
    } catch (LinkageError e) {
      return Kernel.SCALAR; // the module is there but cannot be used: stay scalar
    }
  }

  private static int preferredFloatLanes() {
    return FloatVector.SPECIES_PREFERRED.length();
  }

  /** 16+ lanes: one vector holds the 16 chains; 4 or 8: several do; fewer: not worth it. */
  static Kernel kernelFor(int lanes) {
    if (lanes >= MatMulContract.CHAINS) {
      return Kernel.WIDE;
    }
    return lanes >= 4 ? Kernel.NARROW : Kernel.SCALAR;
  }

  /** What the products run on, for logs and benchmark reports. */
  static String describe() {
    switch (KERNEL) {
      case WIDE:
        return "Vector API, 512-bit (16 float lanes)";
      case NARROW:
        return "Vector API, " + preferredFloatLanes() * 32 + "-bit ("
            + preferredFloatLanes() + " float lanes)";
      default:
        return "scalar";
    }
  }
}
