package dev.sparkmerge.method;

/**
 * Whether the kernels may use the Vector API ({@code jdk.incubator.vector}) versions of their hot
 * loops. They do when the JVM was started with {@code --add-modules=jdk.incubator.vector} (Spark's
 * launcher, our scripts and the tests do), the CPU has 512-bit vectors (AVX-512; see SimdShapes),
 * and the system property {@code sparkmerge.simd} is not {@code false}. Otherwise the scalar loops
 * run; both give the same bits (SimdEquivalenceTest), so this is a speed switch only.
 *
 * <p>Classes using the Vector API are only loaded behind {@link #ENABLED}: without the module they
 * could not be linked.
 */
public final class Simd {
  public static final boolean ENABLED = detect();

  private Simd() {}

  private static boolean detect() {
    if ("false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))) {
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return SimdShapes.wideEnough();
    } catch (LinkageError e) {
      return false; // the module is there but cannot be used: stay scalar
    }
  }

  /** What the kernels run on, for logs and benchmark reports. */
  public static String describe() {
    return ENABLED ? "Vector API, " + SimdShapes.describe() : "scalar (Vector API not in use)";
  }
}
