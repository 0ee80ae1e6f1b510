package dev.sparkmerge.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The complete byte layout of a safetensors file to be written, computed before any data: tensor
 * order, offsets and the padded header. Follows the reference writer (reference/safetensors.md
 * §1.6): tensors sorted by descending dtype rank then name bytes (natural alignment, no gaps),
 * compact JSON with {@code __metadata__} first (keys sorted, so output is deterministic), entries
 * in offset order, header right-padded with spaces to a multiple of 8.
 */
public final class SafetensorsLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<TensorInfo> tensors;
  private final byte[] headerBytes;

  private SafetensorsLayout(List<TensorInfo> tensors, byte[] headerBytes) {
    this.tensors = tensors;
    this.headerBytes = headerBytes;
  }

  /**
   * Lays out the given tensors. {@code "format": "pt"} is added to the metadata unless a format is
   * given, since Hugging Face loaders reject metadata without it (reference §3.6).
   */
  public static SafetensorsLayout of(List<TensorSpec> specs, Map<String, String> metadata) {
    Map<String, String> meta = new TreeMap<>(metadata);
    meta.putIfAbsent("format", "pt");
    return ofExactMetadata(specs, meta);
  }

  /**
   * Lays out the tensors with exactly the given metadata (sorted by key), or no
   * {@code __metadata__} entry at all when it is null: byte-for-byte what the reference writer
   * produces for the same input.
   */
  public static SafetensorsLayout ofExactMetadata(List<TensorSpec> specs,
      Map<String, String> metadata) {
    List<TensorSpec> ordered = new ArrayList<>(specs);
    ordered.sort(Comparator.comparingInt((TensorSpec s) -> -s.dtype().writerRank())
        .thenComparing(TensorSpec::name, SafetensorsLayout::compareUtf8));
    Set<String> names = new HashSet<>();
    List<TensorInfo> infos = new ArrayList<>();
    long offset = 0;
    for (TensorSpec s : ordered) {
      if (!names.add(s.name())) {
        throw new SafetensorsException(SafetensorsException.Kind.WRITE_INVALID, "(output)",
            s.name(), "two tensors with the same name in one output file.");
      }
      long bytes;
      try {
        bytes = Shapes.byteSize(s.dtype(), Shapes.numel(s.shape()));
      } catch (ArithmeticException e) {
        throw new SafetensorsException(SafetensorsException.Kind.VALIDATION_OVERFLOW, "(output)",
            s.name(), "shape " + Arrays.toString(s.shape()) + " overflows 64 bits.");
      }
      if (bytes < 0) {
        throw new SafetensorsException(SafetensorsException.Kind.MISALIGNED_SLICE, "(output)",
            s.name(), "not a whole number of bytes in " + s.dtype() + ".");
      }
      infos.add(new TensorInfo(s.name(), s.dtype(), s.shape(), offset, offset + bytes));
      offset = Math.addExact(offset, bytes);
    }
    Map<String, String> meta = metadata == null ? null : new TreeMap<>(metadata);
    byte[] header = headerJson(infos, meta);
    if (header.length > SafetensorsHeader.MAX_HEADER_SIZE) {
      throw new SafetensorsException(SafetensorsException.Kind.HEADER_TOO_LARGE, "(output)", null,
          "the header would be " + header.length + " bytes, over the format's limit of "
              + SafetensorsHeader.MAX_HEADER_SIZE + ".");
    }
    return new SafetensorsLayout(Collections.unmodifiableList(infos), header);
  }

  private static int compareUtf8(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8),
        b.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] headerJson(List<TensorInfo> infos, Map<String, String> meta) {
    StringBuilder sb = new StringBuilder("{");
    boolean firstEntry = true;
    if (meta != null) {
      sb.append("\"__metadata__\":{");
      boolean first = true;
      for (Map.Entry<String, String> e : meta.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        appendString(sb, e.getKey());
        sb.append(':');
        appendString(sb, e.getValue());
      }
      sb.append('}');
      firstEntry = false;
    }
    for (TensorInfo t : infos) {
      if (!firstEntry) {
        sb.append(',');
      }
      firstEntry = false;
      appendString(sb, t.name());
      sb.append(":{\"dtype\":\"").append(t.dtype().code()).append("\",\"shape\":[");
      long[] shape = t.shape();
      for (int i = 0; i < shape.length; i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(shape[i]);
      }
      sb.append("],\"data_offsets\":[").append(t.begin()).append(',').append(t.end()).append("]}");
    }
    sb.append('}');
    byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;
    ByteArrayOutputStream out = new ByteArrayOutputStream(padded);
    out.write(json, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out.write(' ');
    }
    return out.toByteArray();
  }

  /** JSON string escaping as serde_json writes it (lower-case \\u00xx for other controls). */
  private static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\b': sb.append("\\b"); break;
        case '\f': sb.append("\\f"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        default:
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  /** Tensors in data order, with their offsets. */
  public List<TensorInfo> tensors() {
    return tensors;
  }

  /** The padded header JSON (N bytes). */
  public byte[] headerBytes() {
    return headerBytes.clone();
  }

  public long headerSize() {
    return headerBytes.length;
  }

  /** Total file length: 8 + N + data bytes. */
  public long fileLength() {
    long data = tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end();
    return 8 + headerBytes.length + data;
  }

  /** Sum of tensor byte lengths (the index's {@code total_size} contribution). */
  public long dataBytes() {
    return fileLength() - 8 - headerBytes.length;
  }
}
