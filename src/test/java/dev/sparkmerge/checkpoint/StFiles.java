package dev.sparkmerge.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds raw safetensors-like files byte by byte for tests: an 8-byte little-endian length N, the
 * header bytes and the data bytes, with no validation at all, so that any malformed layout can be
 * produced. Everything here is written independently of the code under test.
 */
final class StFiles {
  private StFiles() {}

  /** The 8-byte little-endian encoding of an unsigned 64-bit value. */
  static byte[] le64(long n) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (n >>> (8 * i));
    }
    return b;
  }

  /** Unsigned little-endian 64-bit value at {@code off}. */
  static long readLe64(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }

  /** {@code dataLen} data bytes with a recognisable pattern (i * 7 + 3). */
  static byte[] pattern(int dataLen) {
    byte[] d = new byte[dataLen];
    for (int i = 0; i < dataLen; i++) {
      d[i] = (byte) (i * 7 + 3);
    }
    return d;
  }

  /** N = the header's byte length, then the header bytes, then the given data. */
  static byte[] file(byte[] header, byte[] data) {
    return concat(le64(header.length), header, data);
  }

  /** N = UTF-8 length of {@code header}, then the header text, then {@code dataLen} pattern bytes. */
  static byte[] file(String header, int dataLen) {
    return file(utf8(header), pattern(dataLen));
  }

  /** An explicit (possibly lying) N followed by arbitrary bytes. */
  static byte[] withN(long n, byte[] rest) {
    return concat(le64(n), rest);
  }

  /** Bytes of a string as ISO-8859-1 (one byte per char), for building binary-looking prefixes. */
  static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static Path write(Path dir, String name, byte[] bytes) {
    Path p = dir.resolve(name);
    try {
      Files.write(p, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }

  /** Hadoop path of a local file. */
  static org.apache.hadoop.fs.Path hpath(Path file) {
    return new org.apache.hadoop.fs.Path(file.toUri());
  }

  /** One shared instance: building a Hadoop Configuration per open costs milliseconds. */
  private static final CheckpointFs FS = CheckpointFs.withDefaults();

  static CheckpointFs fs() {
    return FS;
  }

  static SafetensorsFile open(Path file) {
    return SafetensorsFile.open(FS, hpath(file));
  }

  /** Repeats {@code s} {@code n} times. */
  static String rep(String s, int n) {
    return s.repeat(n);
  }
}
