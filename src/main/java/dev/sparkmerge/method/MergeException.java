package dev.sparkmerge.method;

/**
 * A merge that cannot be carried out as configured: a bad parameter value, an unknown method name,
 * or inputs the method cannot combine. The message names the parameter (or method), the value
 * found and what to change, so the CLI can print it as is.
 */
public class MergeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MergeException(String message) {
    super(message);
  }
}
