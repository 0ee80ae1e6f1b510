package dev.sparkmerge.config;

import java.util.List;

/**
 * A merge config that cannot be used. Carries every problem found, not just the first, so a user
 * fixes a config in one round; the message is the problems, one per line, each of the form
 * {@code file:line:column: key.path: what is wrong. What to do.}
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  /** Every problem, in the order the config was read. */
  public List<String> problems() {
    return problems;
  }
}
