package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Executors get the JIT flag the Vector API kernels need, next to the user's own options. */
class SparkContextsConfTest {
  private static final String KEY = "spark.executor.extraJavaOptions";

  @Test
  void executorsGetTheTrapLimitAndKeepTheUsersOptions() {
    assertEquals("-XX:PerMethodTrapLimit=10000",
        SparkContexts.conf("t", Map.of()).get(KEY));
    assertEquals("-Xss4m -XX:PerMethodTrapLimit=10000",
        SparkContexts.conf("t", Map.of(KEY, "-Xss4m")).get(KEY));
    assertEquals("-XX:PerMethodTrapLimit=500",
        SparkContexts.conf("t", Map.of(KEY, "-XX:PerMethodTrapLimit=500")).get(KEY));
  }
}
