package dev.sparkmerge.checkpoint;

/**
 * Whether the codecs use their Vector API loops ({@link SimdCodecs}): when the JVM has
 * {@code jdk.incubator.vector} and the system property {@code sparkmerge.simd} is not
 * {@code false} — the rule of the merge kernels' {@code dev.sparkmerge.method.Simd}, which this
 * package may not import. The scalar loops give the same bits.
 */
final class VectorModule {
  static final boolean ENABLED =
      !"false".equalsIgnoreCase(System.getProperty("sparkmerge.simd", "true"))
          && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private VectorModule() {}
}
