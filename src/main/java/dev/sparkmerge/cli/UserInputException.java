package dev.sparkmerge.cli;

/** A problem with what the user asked for; printed as one line, without a stack trace. */
public final class UserInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserInputException(String message) {
    super(message);
  }
}
