package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** For tests that compare the Vector API loops with the scalar ones. */
public final class SimdTestSupport {
  private SimdTestSupport() {}

  /**
   * Fails when the test JVM lacks the Vector API module (pom.xml's spark.jvm.flags add it, so its
   * absence is a build error), and skips on a CPU without 512-bit vectors, where the vector loops
   * are switched off (Simd) and the test would compare the scalar loops with themselves.
   */
  public static void requireVectorPath() {
    assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
        "the tests run with --add-modules=jdk.incubator.vector (pom.xml spark.jvm.flags)");
    assumeTrue(Simd.ENABLED, "no 512-bit vectors on this CPU: the vector loops are not used");
  }
}
