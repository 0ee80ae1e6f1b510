package dev.sparkmerge.engine;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one place Spark is configured. Mandatory settings cannot be overridden (the job depends on
 * them); defaults apply unless spark-submit or --conf set them. Without a master (a plain local
 * run) Spark runs embedded in {@code local[*]}, bound to loopback with the UI off.
 */
public final class SparkContexts {
  /** Set on contexts this class creates, to tell them apart from one that was already running. */
  private static final String MARKER = "spark.sparkmerge.session";

  private SparkContexts() {}

  /**
   * The running context if there is one (tests, notebooks: Spark allows one per JVM), else a new
   * one. Close the session when done: it stops the context only if it created it.
   */
  public static Session session(String appName, java.util.Map<String, String> overrides) {
    String marker = java.util.UUID.randomUUID().toString();
    SparkContext sc = SparkContext.getOrCreate(conf(appName, overrides).set(MARKER, marker));
    boolean owned = marker.equals(sc.getConf().get(MARKER, ""));
    return new Session(JavaSparkContext.fromSparkContext(sc), owned);
  }

  /** A context and whether this code owns (and so stops) it. */
  public static final class Session implements AutoCloseable {
    private final JavaSparkContext context;
    private final boolean owned;

    Session(JavaSparkContext context, boolean owned) {
      this.context = context;
      this.owned = owned;
    }

    public JavaSparkContext context() {
      return context;
    }

    @Override
    public void close() {
      if (owned) {
        context.stop();
      }
    }
  }

  /** Creates a context, applying {@code overrides} (key=value from --conf) over the defaults. */
  public static JavaSparkContext create(String appName, java.util.Map<String, String> overrides) {
    return new JavaSparkContext(conf(appName, overrides));
  }

  private static SparkConf conf(String appName, java.util.Map<String, String> overrides) {
    SparkConf conf = new SparkConf();
    conf.setIfMissing("spark.app.name", appName);
    boolean local = !conf.contains("spark.master") && !overrides.containsKey("spark.master");
    if (local) {
      conf.set("spark.master", "local[*]");
      conf.setIfMissing("spark.ui.enabled", "false");
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    // Heartbeats carry the bytes written by running tasks to the progress line.
    conf.setIfMissing("spark.executor.heartbeatInterval", "3s");
    // Every shard is its own task: failed attempts are retried, duplicates are harmless because
    // shard bytes are deterministic, so speculation would only waste I/O.
    conf.setIfMissing("spark.speculation", "false");
    overrides.forEach(conf::set);
    // Mandatory: plan objects are plain Java-serializable classes.
    conf.set("spark.serializer", "org.apache.spark.serializer.JavaSerializer");
    return conf;
  }
}
