package dev.sparkmerge.eval.model;

import jdk.incubator.vector.FloatVector;

/**
 * Which {@link MatMul} kernel this JVM runs: the Vector API one ({@link GemmKernel}) at the CPU's
 * preferred width, or the scalar {@link MatMulContract}. The Vector API needs
 * {@code --add-modules=jdk.incubator.vector} (our scripts, tests and Spark's launcher add it);
 * {@code -Dsparkmerge.simd=false} forces the scalar code. All give the same bits.
 *
 * <p>Classes using the Vector API are only loaded behind this check: without the module they
 * could not be linked.
 */
final class MatMulSimd {
  enum Kernel { VECTOR, SCALAR }

  static final Kernel KERNEL = detect();

  private MatMulSimd() {}

  private static Kernel detect() {
    if ("false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return Kernel.SCALAR;
    }
    if (!fusedMultiplyAdd()) {
      return Kernel.SCALAR; // vector fma would run as the Vector API's Java fallback: far slower
    }
    try {
      return kernelFor(preferredFloatLanes());
    } catch (LinkageError e) {
      return Kernel.SCALAR; // the module is there but cannot be used: stay scalar
    }
  }

  /**
   * Whether HotSpot compiles fma to an instruction (-XX:UseFMA; false on x86 without FMA3 or with
   * -XX:UseAVX=0, where the test suite took 400 s instead of 2). Unknown VM: assume yes.
   */
  private static boolean fusedMultiplyAdd() {
    try {
      return !"false".equals(java.lang.management.ManagementFactory
          .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .getVMOption("UseFMA").getValue());
    } catch (RuntimeException | LinkageError e) {
      return true;
    }
  }

  private static int preferredFloatLanes() {
    return FloatVector.SPECIES_PREFERRED.length();
  }

  /** 4 lanes (128 bits) or more; narrower vectors are not worth it. */
  static Kernel kernelFor(int lanes) {
    return lanes >= 4 ? Kernel.VECTOR : Kernel.SCALAR;
  }

  /** What the products run on, for logs and benchmark reports. */
  static String describe() {
    if (KERNEL == Kernel.SCALAR) {
      return "scalar";
    }
    int lanes = preferredFloatLanes();
    return "Vector API, " + lanes * 32 + "-bit (" + lanes + " float lanes)";
  }
}
