package dev.sparkmerge.checkpoint;

/**
 * A safetensors file that breaks a rule of the format. One exception type with a {@link Kind} per
 * reference error variant (reference/safetensors.md §1.7), plus our stricter kinds. The message
 * always names the file, the tensor where there is one, the numbers involved and what to do.
 */
public final class SafetensorsException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  /** Why a file was rejected. The first group mirrors the reference crate's error variants. */
  public enum Kind {
    HEADER_TOO_SMALL,
    HEADER_TOO_LARGE,
    INVALID_HEADER_LENGTH,
    INVALID_UTF8,
    INVALID_JSON,
    INVALID_OFFSET,
    VALIDATION_OVERFLOW,
    MISALIGNED_SLICE,
    TENSOR_INVALID_INFO,
    INCOMPLETE_BUFFER,
    TENSOR_NOT_FOUND,
    // Stricter than the reference reader:
    DUPLICATE_KEY,
    LIMIT_EXCEEDED,
    NOT_SAFETENSORS,
    // Errors while reading data after a valid header (the file changed or is unreadable):
    READ_FAILED,
    // A write that breaks the format's rules:
    WRITE_INVALID
  }

  private final Kind kind;
  private final String file;
  private final String tensor;

  public SafetensorsException(Kind kind, String file, String tensor, String detail) {
    super(format(file, tensor, detail));
    this.kind = kind;
    this.file = file;
    this.tensor = tensor;
  }

  public SafetensorsException(Kind kind, String file, String tensor, String detail, Throwable cause) {
    super(format(file, tensor, detail), cause);
    this.kind = kind;
    this.file = file;
    this.tensor = tensor;
  }

  private static String format(String file, String tensor, String detail) {
    StringBuilder sb = new StringBuilder();
    sb.append(file).append(": ");
    if (tensor != null) {
      sb.append("tensor '").append(tensor).append("': ");
    }
    return sb.append(detail).toString();
  }

  public Kind kind() {
    return kind;
  }

  public String file() {
    return file;
  }

  /** The tensor the error is about, or null. */
  public String tensor() {
    return tensor;
  }
}
