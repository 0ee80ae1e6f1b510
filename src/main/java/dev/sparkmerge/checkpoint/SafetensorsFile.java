package dev.sparkmerge.checkpoint;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An open safetensors file on any Hadoop file system: the validated header plus positioned reads of
 * tensor byte ranges. Nothing here holds a whole tensor: callers read element ranges into buffers
 * they own (see {@link TensorChunks}), each read call moving at most {@link
 * CheckpointFs#MAX_READ_BYTES}. Positioned reads do not move the stream, so one open file can serve
 * several readers.
 */
public final class SafetensorsFile implements Closeable {
  private final Path path;
  private final String name;
  private final FSDataInputStream in;
  private final SafetensorsHeader header;

  private SafetensorsFile(Path path, FSDataInputStream in, SafetensorsHeader header) {
    this.path = path;
    this.name = path.toString();
    this.in = in;
    this.header = header;
  }

  /** Opens and validates a file; the stream stays open until {@link #close()}. */
  public static SafetensorsFile open(CheckpointFs fs, Path path) {
    FileStatus st = fs.fileStatus(path, "safetensors file");
    FileSystem fileSystem = fs.fileSystem(path);
    FSDataInputStream in;
    try {
      in = fileSystem.open(path);
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
    }
    try {
      SafetensorsHeader header = readHeader(path.toString(), in, st.getLen());
      return new SafetensorsFile(path, in, header);
    } catch (RuntimeException e) {
      closeQuietly(in);
      throw e;
    }
  }

  /** Reads only the header of a file (for planning and inspect) and closes it. */
  public static SafetensorsHeader readHeader(CheckpointFs fs, Path path) {
    try (SafetensorsFile f = open(fs, path)) {
      return f.header();
    }
  }

  private static SafetensorsHeader readHeader(String file, FSDataInputStream in, long length) {
    byte[] prefix = new byte[(int) Math.min(8, length)];
    readFully(file, in, 0, prefix, 0, prefix.length);
    long n = SafetensorsHeader.checkHeaderLength(file, prefix, length);
    // n ≤ MAX_HEADER_SIZE and 8 + n ≤ length were checked, so this allocation is bounded by the file.
    byte[] header = new byte[(int) n];
    for (int off = 0; off < n; off += CheckpointFs.MAX_READ_BYTES) {
      int len = (int) Math.min(CheckpointFs.MAX_READ_BYTES, n - off);
      readFully(file, in, 8 + off, header, off, len);
    }
    return SafetensorsHeader.parse(file, header, (int) n, length);
  }

  public Path path() {
    return path;
  }

  public SafetensorsHeader header() {
    return header;
  }

  public TensorInfo tensor(String tensorName) {
    return header.tensor(tensorName);
  }

  /**
   * Reads {@code dst.remaining()} bytes of a tensor starting at {@code byteOffset} within it into
   * {@code dst} (advancing its position), in calls of at most 16 MiB.
   */
  public void readBytes(TensorInfo t, long byteOffset, ByteBuffer dst) {
    int len = dst.remaining();
    if (byteOffset < 0 || byteOffset + len > t.byteLength()) {
      throw new IllegalArgumentException("byte range [" + byteOffset + ", " + (byteOffset + len)
          + ") outside tensor " + t.name() + " of " + t.byteLength() + " bytes");
    }
    long filePos = header.dataStart() + t.begin() + byteOffset;
    if (dst.hasArray()) {
      byte[] a = dst.array();
      int base = dst.arrayOffset() + dst.position();
      for (int done = 0; done < len; done += CheckpointFs.MAX_READ_BYTES) {
        int n = Math.min(CheckpointFs.MAX_READ_BYTES, len - done);
        readFully(t, filePos + done, a, base + done, n);
      }
      dst.position(dst.position() + len);
    } else {
      byte[] tmp = new byte[Math.min(len, 1 << 20)];
      for (int done = 0; done < len; ) {
        int n = Math.min(tmp.length, len - done);
        readFully(t, filePos + done, tmp, 0, n);
        dst.put(tmp, 0, n);
        done += n;
      }
    }
  }

  /**
   * Reads {@code count} elements starting at flat element index {@code firstElement} and decodes
   * them to float32 into {@code dst[dstOff..]}. {@code scratch} is a caller-owned buffer reused
   * across calls; it is grown if too small and returned.
   */
  public ByteBuffer readFloats(TensorInfo t, long firstElement, float[] dst, int dstOff, int count,
      ByteBuffer scratch) {
    if (!t.dtype().isFloatingPoint()) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, name, t.name(),
          "dtype " + t.dtype() + " cannot be merged as floating-point values.");
    }
    int size = t.dtype().byteSize();
    int bytes = Math.multiplyExact(count, size);
    ByteBuffer buf = scratch;
    if (buf == null || buf.capacity() < bytes) {
      buf = ByteBuffer.allocate(bytes);
    }
    buf.clear().limit(bytes);
    buf.order(ByteOrder.LITTLE_ENDIAN);
    readBytes(t, firstElement * size, buf);
    buf.flip();
    FloatCodecs.decode(t.dtype(), buf, dst, dstOff, count);
    return buf;
  }

  private void readFully(TensorInfo t, long pos, byte[] a, int off, int len) {
    try {
      in.readFully(pos, a, off, len);
    } catch (EOFException e) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, name, t.name(),
          "the file ended early while reading bytes [" + pos + ", " + (pos + len) + "); it was"
              + " truncated or replaced after it was opened.", e);
    } catch (IOException e) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, name, t.name(),
          "read of bytes [" + pos + ", " + (pos + len) + ") failed: " + e.getMessage(), e);
    }
  }

  private static void readFully(String file, FSDataInputStream in, long pos, byte[] a, int off,
      int len) {
    try {
      in.readFully(pos, a, off, len);
    } catch (EOFException e) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, file, null,
          "the file ended early while reading its header; it was truncated or replaced.", e);
    } catch (IOException e) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, file, null,
          "reading the header failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    closeQuietly(in);
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Closing a read-only stream: nothing is lost.
    }
  }
}
