package dev.sparkmerge.checkpoint;

/**
 * A problem with an input or output checkpoint that the user can fix: the message names the file,
 * the tensor where there is one, and the rule broken. The CLI prints the message, never a stack
 * trace.
 */
public class CheckpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
