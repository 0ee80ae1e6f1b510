package dev.sparkmerge.engine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The message to record for a failure that may have happened inside a Spark task, where only the
 * remote exception's text survives in the driver's exception: the first sparkmerge exception's
 * message, without the stack trace Spark appends.
 */
final class RemoteErrors {
  private static final Pattern REMOTE = Pattern.compile(
      "dev\\.sparkmerge\\.[a-z.]+\\.[A-Za-z]*Exception: ([^\\n]*(?:\\n(?!\\s+at |Caused by|\\s*$|"
          + "Driver stacktrace)[^\\n]*)*)");

  private RemoteErrors() {}

  static String message(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getClass().getName().startsWith("dev.sparkmerge.")) {
        return c.getMessage();
      }
      if (c.getMessage() != null) {
        Matcher m = REMOTE.matcher(c.getMessage());
        if (m.find()) {
          return m.group(1).strip();
        }
      }
    }
    return t.toString(); // not an input problem: keep the exception's class (likely a bug)
  }
}
