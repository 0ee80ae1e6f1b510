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
  /**
   * JVM flags every executor gets (added to spark.executor.extraJavaOptions; local runs, tests and
   * drivers get them from pom.xml's spark.jvm.flags). C2 stops placing class-check traps in a
   * method once the traps of all the methods it inlines add up to PerMethodTrapLimit (default
   * 100), and then compiles the Vector API calls it would have inlined as virtual calls, whose
   * vector results are boxed: the JDK's vector classes are shared by every kernel, so their trap
   * counts grow with everything the JVM ran before. Measured on the 1.1B TIES merge: in 6 of 14
   * JVMs the TIES kernel came out that way (11 KB of code instead of 5 KB) and the merge took
   * about twice the CPU (a 6-candidate grid once ran 166 s instead of 55); with the limit
   * raised, 12 of 12 JVMs compiled the fast form. Per-bytecode trap limits still stop
   * recompilation loops.
   */
  static final String JIT_FLAGS = "-XX:PerMethodTrapLimit=10000";

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

  static SparkConf conf(String appName, java.util.Map<String, String> overrides) {
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
    String executorOpts = conf.get("spark.executor.extraJavaOptions", "");
    if (!executorOpts.contains("PerMethodTrapLimit")) { // a user's own value is kept
      conf.set("spark.executor.extraJavaOptions", (executorOpts + " " + JIT_FLAGS).trim());
    }
    // Mandatory: plan objects are plain Java-serializable classes.
    conf.set("spark.serializer", "org.apache.spark.serializer.JavaSerializer");
    return conf;
  }
}
