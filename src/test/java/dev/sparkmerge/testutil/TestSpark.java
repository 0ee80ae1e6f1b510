package dev.sparkmerge.testutil;

import dev.sparkmerge.engine.SparkContexts;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * One Spark context per test JVM (Spark allows one at a time): local[2,2] so a failed task is
 * retried once, UI off, bound to loopback. Stopped when the JVM exits.
 */
public final class TestSpark {
  private static JavaSparkContext context;

  private TestSpark() {}

  public static synchronized JavaSparkContext context() {
    if (context == null) {
      context = SparkContexts.create("sparkmerge-tests", Map.of(
          "spark.master", "local[2,2]",
          "spark.ui.enabled", "false",
          "spark.driver.host", "127.0.0.1",
          "spark.driver.bindAddress", "127.0.0.1",
          "spark.default.parallelism", "2",
          "spark.local.dir", System.getProperty("java.io.tmpdir") + "/sparkmerge-spark"));
      JavaSparkContext c = context;
      Runtime.getRuntime().addShutdownHook(new Thread(c::stop));
    }
    return context;
  }
}
