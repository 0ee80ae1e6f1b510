package dev.sparkmerge.eval.task;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Keeps DJL's start-up chatter out of the user's log: its platform detection logs at INFO which
 * native library it picked and, on machines with a CUDA runtime but no usable driver, warns that
 * it failed to count GPUs, none of which matters for tokenizing. DJL logs through SLF4J, which
 * Spark binds to Log4j 2; so unless the Log4j configuration names {@code ai.djl} (or a logger
 * below it) itself, that logger is set to ERROR. With another logging backend nothing changes.
 */
final class DjlLogging {
  static final String LOGGER = "ai.djl";

  private DjlLogging() {}

  static void quiet() {
    try {
      Log4j.quiet();
    } catch (LinkageError | RuntimeException e) {
      // Log4j 2 core is not the backend here: leave logging as configured.
    }
  }

  /** Separate so that a missing Log4j core fails only here, as a LinkageError. */
  private static final class Log4j {
    static void quiet() {
      if (!(LogManager.getContext(false) instanceof LoggerContext)) {
        return;
      }
      LoggerContext context = (LoggerContext) LogManager.getContext(false);
      boolean configured = context.getConfiguration().getLoggers().keySet().stream()
          .anyMatch(name -> name.equals(LOGGER) || name.startsWith(LOGGER + "."));
      if (!configured) {
        Configurator.setLevel(LOGGER, Level.ERROR);
      }
    }
  }
}
