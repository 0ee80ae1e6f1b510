package dev.sparkmerge.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict parser for the JSON header of a safetensors file, working directly on the header bytes
 * (no String copy of a header that may be 100 MB). It accepts exactly the dialect of the reference
 * reader (reference/safetensors.md §1.5) and is stricter where that document recommends it:
 * duplicate tensor names, duplicate metadata keys and numbers ≥ 2^63 are rejected.
 *
 * <p>Only parsing happens here; offsets and sizes are checked by {@link HeaderValidator}.
 */
final class HeaderJson {
  static final int MAX_RANK = 64;
  static final int MAX_TENSORS = 2_000_000;
  static final String METADATA_KEY = "__metadata__";
  /** Nesting limit for skipped unknown values (serde_json's default recursion limit). */
  static final int MAX_DEPTH = 128;

  /** The parsed header: tensor entries in header order and the metadata map (null when absent). */
  static final class Parsed {
    final List<TensorInfo> tensors = new ArrayList<>();
    Map<String, String> metadata;
  }

  private final String file;
  private final byte[] b;
  private final int end;
  private int pos;

  private HeaderJson(String file, byte[] bytes, int length) {
    this.file = file;
    this.b = bytes;
    this.end = length;
  }

  /** Parses {@code bytes[0, length)}, which must already be valid UTF-8. */
  static Parsed parse(String file, byte[] bytes, int length) {
    return new HeaderJson(file, bytes, length).parseHeader();
  }

  private Parsed parseHeader() {
    Parsed out = new Parsed();
    skipWhitespace();
    if (pos >= end) {
      throw syntax("the header is empty (or only whitespace); it must be a JSON object");
    }
    if (b[pos] != '{') {
      throw syntax("the header must be a JSON object starting with '{'");
    }
    pos++;
    Map<String, Boolean> seen = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
    } else {
      while (true) {
        skipWhitespace();
        int keyPos = pos;
        String key = parseString();
        if (seen.put(key, Boolean.TRUE) != null) {
          throw new SafetensorsException(SafetensorsException.Kind.DUPLICATE_KEY, file,
              key.equals(METADATA_KEY) ? null : key,
              (key.equals(METADATA_KEY) ? "'__metadata__' appears twice" : "the name appears twice")
                  + " in the header (" + where(keyPos) + "); duplicate keys are ambiguous, so the"
                  + " file is rejected. Re-export it with a tool that writes each name once.");
        }
        skipWhitespace();
        expect(':');
        skipWhitespace();
        if (key.equals(METADATA_KEY)) {
          out.metadata = parseMetadata();
        } else {
          if (out.tensors.size() >= MAX_TENSORS) {
            throw new SafetensorsException(SafetensorsException.Kind.LIMIT_EXCEEDED, file, null,
                "more than " + MAX_TENSORS + " tensors in one file; this is not a model shard.");
          }
          out.tensors.add(parseTensor(key));
        }
        if (!separatorOr('}', "after a header entry")) {
          break;
        }
      }
    }
    skipWhitespace();
    if (pos != end) {
      throw syntax("unexpected characters after the JSON object (padding must be spaces)");
    }
    return out;
  }

  private Map<String, String> parseMetadata() {
    if (matchLiteral("null")) {
      return null;
    }
    if (peek() != '{') {
      throw syntax("'__metadata__' must be an object of string values (or null)");
    }
    pos++;
    Map<String, String> meta = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return meta;
    }
    while (true) {
      skipWhitespace();
      int keyPos = pos;
      String key = parseString();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      if (peek() != '"') {
        throw syntax("'__metadata__' value for key '" + key + "' must be a string");
      }
      String value = parseString();
      if (meta.put(key, value) != null) {
        throw new SafetensorsException(SafetensorsException.Kind.DUPLICATE_KEY, file, null,
            "'__metadata__' has the key '" + key + "' twice (" + where(keyPos) + ").");
      }
      if (!separatorOr('}', "in '__metadata__'")) {
        return meta;
      }
    }
  }

  private TensorInfo parseTensor(String name) {
    if (peek() != '{') {
      throw syntax("the entry for tensor '" + name + "' must be an object with dtype, shape and"
          + " data_offsets");
    }
    pos++;
    DType dtype = null;
    long[] shape = null;
    long[] offsets = null;
    boolean first = true;
    while (true) {
      skipWhitespace();
      if (peek() == '}' && first) {
        pos++;
        break;
      }
      String field = parseString();
      skipWhitespace();
      expect(':');
      skipWhitespace();
      switch (field) {
        case "dtype":
          if (dtype != null) {
            throw duplicateField(name, field);
          }
          dtype = parseDtype(name);
          break;
        case "shape":
          if (shape != null) {
            throw duplicateField(name, field);
          }
          shape = parseUnsignedArray(name, "shape", -1);
          break;
        case "data_offsets":
          if (offsets != null) {
            throw duplicateField(name, field);
          }
          offsets = parseUnsignedArray(name, "data_offsets", 2);
          break;
        default:
          // The reference reader ignores unknown fields; so do we (compatibility mode).
          skipValue();
      }
      first = false;
      if (!separatorOr('}', "in the entry for tensor '" + name + "'")) {
        break;
      }
    }
    if (dtype == null || shape == null || offsets == null) {
      String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, name,
          "the entry has no '" + missing + "' field; every tensor needs dtype, shape and"
              + " data_offsets.");
    }
    return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
  }

  private DType parseDtype(String name) {
    if (peek() != '"') {
      throw syntax("'dtype' of tensor '" + name + "' must be a string");
    }
    String code = parseString();
    DType d = DType.fromCode(code);
    if (d == null) {
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, name,
          "unknown dtype '" + code + "'; valid codes are " + java.util.Arrays.toString(DType.values())
              + " (case-sensitive).");
    }
    return d;
  }

  private long[] parseUnsignedArray(String name, String field, int requiredLength) {
    if (peek() != '[') {
      throw syntax("'" + field + "' of tensor '" + name + "' must be an array of non-negative"
          + " integers");
    }
    pos++;
    long[] values = new long[4];
    int n = 0;
    skipWhitespace();
    if (peek() == ']') {
      pos++;
    } else {
      while (true) {
        skipWhitespace();
        if (n == MAX_RANK + 1 && requiredLength < 0) {
          throw new SafetensorsException(SafetensorsException.Kind.LIMIT_EXCEEDED, file, name,
              "the shape has more than " + MAX_RANK + " dimensions.");
        }
        if (n == values.length) {
          values = java.util.Arrays.copyOf(values, n * 2);
        }
        values[n++] = parseUnsigned(name, field);
        if (!separatorOr(']', "in '" + field + "' of tensor '" + name + "'")) {
          break;
        }
      }
    }
    if (requiredLength >= 0 && n != requiredLength) {
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, name,
          "'" + field + "' has " + n + " elements; it must have exactly " + requiredLength
              + " ([BEGIN, END]).");
    }
    if (n > MAX_RANK) {
      throw new SafetensorsException(SafetensorsException.Kind.LIMIT_EXCEEDED, file, name,
          "the shape has " + n + " dimensions; at most " + MAX_RANK + " are accepted.");
    }
    return java.util.Arrays.copyOf(values, n);
  }

  /** A JSON integer in [0, 2^63): no sign, no fraction, no exponent, no leading zeros. */
  private long parseUnsigned(String name, String field) {
    int start = pos;
    if (pos < end && b[pos] == '-') {
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, name,
          "'" + field + "' contains a negative number (" + where(start) + "); sizes and offsets"
              + " are non-negative integers.");
    }
    while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
      pos++;
    }
    int digits = pos - start;
    if (digits == 0) {
      throw syntax("'" + field + "' of tensor '" + name + "' must contain integers");
    }
    if (pos < end && (b[pos] == '.' || b[pos] == 'e' || b[pos] == 'E')) {
      throw new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, name,
          "'" + field + "' contains a non-integer number (" + where(start) + "); sizes and"
              + " offsets are integers.");
    }
    if (digits > 1 && b[start] == '0') {
      throw syntax("number with a leading zero in '" + field + "' of tensor '" + name + "'");
    }
    long v = 0;
    for (int i = start; i < pos; i++) {
      int d = b[i] - '0';
      if (v > (Long.MAX_VALUE - d) / 10) {
        SafetensorsException.Kind kind = field.equals("shape")
            ? SafetensorsException.Kind.VALIDATION_OVERFLOW
            : SafetensorsException.Kind.INVALID_OFFSET;
        throw new SafetensorsException(kind, file, name,
            "'" + field + "' holds " + new String(b, start, digits, StandardCharsets.US_ASCII)
                + ", which is 2^63 or more; no valid file has such a size or offset.");
      }
      v = v * 10 + d;
    }
    return v;
  }

  /** Skips any JSON value (for unknown fields), with the same strictness as the rest. */
  private void skipValue() {
    skipValue(0);
  }

  private void skipValue(int depth) {
    if (depth > MAX_DEPTH) {
      throw new SafetensorsException(SafetensorsException.Kind.LIMIT_EXCEEDED, file, null,
          "a header value is nested more than " + MAX_DEPTH + " levels deep (" + where(pos)
              + ").");
    }
    byte c = peek();
    if (c == '"') {
      parseString();
    } else if (c == '{') {
      pos++;
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return;
      }
      while (true) {
        skipWhitespace();
        parseString();
        skipWhitespace();
        expect(':');
        skipWhitespace();
        skipValue(depth + 1);
        if (!separatorOr('}', "in an object")) {
          return;
        }
      }
    } else if (c == '[') {
      pos++;
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return;
      }
      while (true) {
        skipWhitespace();
        skipValue(depth + 1);
        if (!separatorOr(']', "in an array")) {
          return;
        }
      }
    } else if (matchLiteral("true") || matchLiteral("false") || matchLiteral("null")) {
      return;
    } else {
      skipNumber();
    }
  }

  private void skipNumber() {
    int start = pos;
    if (pos < end && b[pos] == '-') {
      pos++;
    }
    int intStart = pos;
    while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
      pos++;
    }
    if (pos == intStart || (pos - intStart > 1 && b[intStart] == '0')) {
      pos = start;
      throw syntax("invalid JSON value");
    }
    if (pos < end && b[pos] == '.') {
      pos++;
      int f = pos;
      while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
        pos++;
      }
      if (pos == f) {
        throw syntax("invalid number");
      }
    }
    if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
      pos++;
      if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
        pos++;
      }
      int e = pos;
      while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
        pos++;
      }
      if (pos == e) {
        throw syntax("invalid number");
      }
    }
  }

  /** Parses a JSON string at pos (which must be '"'), decoding escapes and UTF-8. */
  private String parseString() {
    if (peek() != '"') {
      throw syntax("expected a string in double quotes");
    }
    pos++;
    StringBuilder sb = null;
    int runStart = pos;
    while (true) {
      if (pos >= end) {
        throw syntax("unterminated string");
      }
      int c = b[pos] & 0xFF;
      if (c == '"') {
        String s;
        if (sb == null) {
          s = new String(b, runStart, pos - runStart, StandardCharsets.UTF_8);
        } else {
          sb.append(new String(b, runStart, pos - runStart, StandardCharsets.UTF_8));
          s = sb.toString();
        }
        pos++;
        return s;
      }
      if (c < 0x20) {
        throw syntax("raw control character 0x" + Integer.toHexString(c) + " inside a string"
            + " (it must be escaped)");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (sb == null) {
        sb = new StringBuilder();
      }
      sb.append(new String(b, runStart, pos - runStart, StandardCharsets.UTF_8));
      pos++;
      if (pos >= end) {
        throw syntax("unterminated escape");
      }
      byte e = b[pos++];
      switch (e) {
        case '"': sb.append('"'); break;
        case '\\': sb.append('\\'); break;
        case '/': sb.append('/'); break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'n': sb.append('\n'); break;
        case 'r': sb.append('\r'); break;
        case 't': sb.append('\t'); break;
        case 'u': appendUnicodeEscape(sb); break;
        default:
          pos--;
          throw syntax("invalid escape '\\" + (char) e + "'");
      }
      runStart = pos;
    }
  }

  private void appendUnicodeEscape(StringBuilder sb) {
    int escStart = pos - 2;
    char c = (char) readHex4();
    if (Character.isHighSurrogate(c)) {
      if (pos + 6 <= end && b[pos] == '\\' && b[pos + 1] == 'u') {
        pos += 2;
        char low = (char) readHex4();
        if (Character.isLowSurrogate(low)) {
          sb.append(c).append(low);
          return;
        }
      }
      pos = escStart;
      throw syntax("lone surrogate escape (a high surrogate must be followed by a low one)");
    }
    if (Character.isLowSurrogate(c)) {
      pos = escStart;
      throw syntax("lone surrogate escape");
    }
    sb.append(c);
  }

  private int readHex4() {
    if (pos + 4 > end) {
      throw syntax("truncated \\u escape");
    }
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(b[pos + i], 16);
      if (d < 0) {
        pos += i;
        throw syntax("invalid hex digit in \\u escape");
      }
      v = v * 16 + d;
    }
    pos += 4;
    return v;
  }

  private boolean matchLiteral(String lit) {
    int n = lit.length();
    if (pos + n > end) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (b[pos + i] != lit.charAt(i)) {
        return false;
      }
    }
    pos += n;
    return true;
  }

  /**
   * After a member or element: consumes ',' and returns true (more follow), or consumes the
   * closing character and returns false.
   */
  private boolean separatorOr(char close, String context) {
    skipWhitespace();
    byte c = peek();
    if (c == ',') {
      pos++;
      return true;
    }
    if (c == close) {
      pos++;
      return false;
    }
    throw syntax("expected ',' or '" + close + "' " + context);
  }

  private void skipWhitespace() {
    while (pos < end) {
      byte c = b[pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        pos++;
      } else {
        return;
      }
    }
  }

  private byte peek() {
    if (pos >= end) {
      throw syntax("unexpected end of the header");
    }
    return b[pos];
  }

  private void expect(char c) {
    if (peek() != c) {
      throw syntax("expected '" + c + "'");
    }
    pos++;
  }

  private SafetensorsException duplicateField(String tensor, String field) {
    return new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, tensor,
        "the field '" + field + "' appears twice in the entry.");
  }

  private SafetensorsException syntax(String what) {
    return new SafetensorsException(SafetensorsException.Kind.INVALID_JSON, file, null,
        "invalid JSON in the header: " + what + " (" + where(pos) + ").");
  }

  /** "line L, column C" of a byte position in the header (1-based, as JSON tools report). */
  private String where(int at) {
    int line = 1;
    int col = 1;
    for (int i = 0; i < Math.min(at, end); i++) {
      if (b[i] == '\n') {
        line++;
        col = 1;
      } else if ((b[i] & 0xC0) != 0x80) {
        col++;
      }
    }
    return "header line " + line + ", column " + col;
  }
}
