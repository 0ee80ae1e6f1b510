package dev.sparkmerge.checkpoint;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of one safetensors file: tensor entries (header order), the
 * {@code __metadata__} map, and where the data section starts. Built by {@link #parse}, which runs
 * every check of reference/safetensors.md §1.3 and §7 against the file's length, so a header that
 * exists is one whose tensors exactly tile the data section.
 */
public final class SafetensorsHeader implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The reference reader's limit on the header length N (100 MB, decimal). */
  public static final long MAX_HEADER_SIZE = 100_000_000L;

  private final String file;
  private final long headerSize;
  private final long fileLength;
  private final LinkedHashMap<String, TensorInfo> tensors;
  private final LinkedHashMap<String, String> metadata;

  private SafetensorsHeader(String file, long headerSize, long fileLength,
      LinkedHashMap<String, TensorInfo> tensors, LinkedHashMap<String, String> metadata) {
    this.file = file;
    this.headerSize = headerSize;
    this.fileLength = fileLength;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /**
   * Checks the 8-byte length prefix against the file length and returns N. Called before the
   * header is read, so a hostile N never causes an allocation.
   *
   * @param prefix the first min(8, fileLength) bytes of the file
   */
  public static long checkHeaderLength(String file, byte[] prefix, long fileLength) {
    if (fileLength < 8) {
      throw new SafetensorsException(SafetensorsException.Kind.HEADER_TOO_SMALL, file, null,
          "the file has " + fileLength + " bytes; a safetensors file starts with an 8-byte header"
              + " length. The file is empty or truncated.");
    }
    long n = 0;
    for (int i = 7; i >= 0; i--) {
      n = (n << 8) | (prefix[i] & 0xFF);
    }
    // n is an unsigned 64-bit value; a negative long means ≥ 2^63.
    if (n < 0 || n > MAX_HEADER_SIZE) {
      throw notSafetensorsOr(file, prefix, false, SafetensorsException.Kind.HEADER_TOO_LARGE,
          "the header length field says " + Long.toUnsignedString(n) + " bytes, over the limit of "
              + MAX_HEADER_SIZE + ".");
    }
    if (8 + n > fileLength) {
      throw notSafetensorsOr(file, prefix, true, SafetensorsException.Kind.INVALID_HEADER_LENGTH,
          "the header length field says " + n + " bytes but the file has only " + fileLength
              + " bytes. The file is truncated or not a safetensors file.");
    }
    return n;
  }

  /**
   * Most "header too large" errors in the wild are other files saved under a .safetensors name.
   * Weak one-byte signatures are only trusted when the length is absurd (see FileSniffer).
   */
  private static SafetensorsException notSafetensorsOr(String file, byte[] prefix,
      boolean strongOnly, SafetensorsException.Kind kind, String detail) {
    String what = FileSniffer.describe(prefix, strongOnly);
    if (what != null) {
      return new SafetensorsException(SafetensorsException.Kind.NOT_SAFETENSORS, file, null,
          "this is not a safetensors file: it looks like " + what + ".");
    }
    return new SafetensorsException(kind, file, null, detail);
  }

  /**
   * Parses and validates a header.
   *
   * @param header the N header bytes (array may be longer; only {@code [0, n)} is used)
   * @param n the header length from the prefix
   * @param fileLength the length of the whole file
   */
  public static SafetensorsHeader parse(String file, byte[] header, int n, long fileLength) {
    int bad = Utf8.firstInvalid(header, n);
    if (bad >= 0) {
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_UTF8, file, null,
          "the header is not valid UTF-8 (bad byte 0x"
              + Integer.toHexString(header[bad] & 0xFF) + " at header byte " + bad + ").");
    }
    HeaderJson.Parsed parsed = HeaderJson.parse(file, header, n);
    validateLayout(file, parsed.tensors, n, fileLength);
    LinkedHashMap<String, TensorInfo> byName = new LinkedHashMap<>();
    for (TensorInfo t : parsed.tensors) {
      byName.put(t.name(), t);
    }
    LinkedHashMap<String, String> meta =
        parsed.metadata == null ? null : new LinkedHashMap<>(parsed.metadata);
    return new SafetensorsHeader(file, n, fileLength, byName, meta);
  }

  /** Steps 6–7 of the reference reader: entries sorted by offsets must tile [0, D) exactly. */
  private static void validateLayout(String file, List<TensorInfo> entries, long n,
      long fileLength) {
    List<TensorInfo> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long position = 0;
    for (TensorInfo t : sorted) {
      if (t.begin() != position || t.end() < t.begin()) {
        String why;
        if (t.end() < t.begin()) {
          why = "its data_offsets [" + t.begin() + ", " + t.end() + "] end before they begin.";
        } else if (t.begin() < position) {
          why = "its data_offsets [" + t.begin() + ", " + t.end() + "] overlap the previous"
              + " tensor, which ends at " + position + ".";
        } else {
          why = "its data_offsets [" + t.begin() + ", " + t.end() + "] leave a gap: the previous"
              + " tensor ends at " + position + " (tensors must tile the data section from 0).";
        }
        throw new SafetensorsException(SafetensorsException.Kind.INVALID_OFFSET, file, t.name(),
            why);
      }
      position = t.end();
      long numel;
      long bytes;
      try {
        numel = Shapes.numel(t.shape());
        bytes = Shapes.byteSize(t.dtype(), numel);
      } catch (ArithmeticException e) {
        throw new SafetensorsException(SafetensorsException.Kind.VALIDATION_OVERFLOW, file,
            t.name(), "the size of shape " + t.shapeString() + " in " + t.dtype()
                + " overflows 64 bits.");
      }
      if (bytes < 0) {
        throw new SafetensorsException(SafetensorsException.Kind.MISALIGNED_SLICE, file,
            t.name(), numel + " elements of " + t.dtype() + " are not a whole number of bytes.");
      }
      if (t.byteLength() != bytes) {
        throw new SafetensorsException(SafetensorsException.Kind.TENSOR_INVALID_INFO, file,
            t.name(), t.dtype() + " " + t.shapeString() + " needs " + bytes + " bytes but"
                + " data_offsets [" + t.begin() + ", " + t.end() + "] hold " + t.byteLength()
                + ".");
      }
    }
    long expected = 8 + n + position;
    if (expected != fileLength) {
      String detail = expected > fileLength
          ? "the tensors need " + expected + " bytes but the file has " + fileLength
              + " (truncated: " + (expected - fileLength) + " bytes missing). Download or copy"
              + " the file again."
          : "the file has " + (fileLength - expected) + " bytes after the last tensor (ends at "
              + expected + ", file length " + fileLength + "); trailing data is not allowed.";
      throw new SafetensorsException(SafetensorsException.Kind.INCOMPLETE_BUFFER, file, null,
          detail);
    }
  }

  public String file() {
    return file;
  }

  /** N, the header's length in bytes (padding included). */
  public long headerSize() {
    return headerSize;
  }

  /** Absolute file position of the data section: 8 + N. */
  public long dataStart() {
    return 8 + headerSize;
  }

  public long fileLength() {
    return fileLength;
  }

  /** Tensors in header order. */
  public Map<String, TensorInfo> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The tensor of that name, or a TENSOR_NOT_FOUND error naming the file. */
  public TensorInfo tensor(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new SafetensorsException(SafetensorsException.Kind.TENSOR_NOT_FOUND, file, name,
          "no such tensor in this file (it has " + tensors.size() + " tensors).");
    }
    return t;
  }

  /** The {@code __metadata__} map; empty when the file has none. */
  public Map<String, String> metadata() {
    return metadata == null ? Collections.emptyMap() : Collections.unmodifiableMap(metadata);
  }

  public boolean hasMetadata() {
    return metadata != null;
  }
}
