package dev.sparkmerge.eval.task;

/**
 * System properties DJL reads, set before its first use. The tokenizers jar carries its native
 * library, so DJL needs no network: offline mode makes sure it never tries to download one, and
 * opting out of tracking stops the "call home" request (and its log line) it otherwise sends when
 * a tokenizer is created. A value the user set, as a system property or environment variable,
 * wins. The native library is extracted once to DJL's cache (DJL_CACHE_DIR or ENGINE_CACHE_DIR if
 * set, else ~/.djl.ai, or java.io.tmpdir/.djl.ai when the home folder is not writable). Its
 * log output is kept down by {@link DjlLogging}.
 */
final class DjlSettings {
  static final String OFFLINE_PROPERTY = "ai.djl.offline";
  static final String OFFLINE_ENV = "DJL_OFFLINE";
  static final String OPT_OUT = "OPT_OUT_TRACKING";

  private static boolean applied;

  private DjlSettings() {}

  static synchronized void apply() {
    setUnlessGiven(OFFLINE_PROPERTY, OFFLINE_ENV, "true");
    setUnlessGiven(OPT_OUT, OPT_OUT, "true");
    if (!applied) {
      DjlLogging.quiet();
      applied = true;
    }
  }

  private static void setUnlessGiven(String property, String env, String value) {
    if (System.getProperty(property) == null && System.getenv(env) == null) {
      System.setProperty(property, value);
    }
  }
}
