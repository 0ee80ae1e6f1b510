package dev.sparkmerge.checkpoint;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Streams one safetensors file to any Hadoop file system: the header first (from a precomputed
 * {@link SafetensorsLayout}), then each tensor's bytes in layout order, never holding a whole
 * tensor. The file is written under a hidden temporary name in the target directory and renamed
 * to its final name by {@link #commit()} once every byte is there, so a reader never sees a
 * partial file under the final name. The SHA-256 of the file is computed while streaming.
 */
public final class SafetensorsWriter implements Closeable {
  private static final int ENCODE_BUFFER_BYTES = 1 << 20;

  private final FileSystem fs;
  private final Path target;
  private final Path temp;
  private final boolean overwrite;
  private final List<TensorInfo> tensors;
  private final OutputStream out;
  private final MessageDigest sha256;
  private final ByteBuffer encodeBuffer =
      ByteBuffer.allocate(ENCODE_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final long fileLength;

  private int current = -1;
  private long remainingInTensor;
  private long written;
  private boolean finished;

  private SafetensorsWriter(FileSystem fs, Path target, Path temp, boolean overwrite,
      SafetensorsLayout layout, OutputStream out) {
    this.fs = fs;
    this.target = target;
    this.temp = temp;
    this.overwrite = overwrite;
    this.tensors = layout.tensors();
    this.out = out;
    this.fileLength = layout.fileLength();
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * Starts writing {@code target}. The header is written immediately.
   *
   * @param overwrite whether an existing file at {@code target} may be replaced on commit
   */
  public static SafetensorsWriter create(CheckpointFs cfs, Path target, SafetensorsLayout layout,
      boolean overwrite) {
    FileSystem fs = cfs.fileSystem(target);
    Path temp = new Path(target.getParent(),
        "." + target.getName() + ".inprogress-" + UUID.randomUUID());
    OutputStream out;
    try {
      out = cfs.createNew(temp);
    } catch (IOException e) {
      throw new CheckpointException(target + ": cannot create the output file (" + e.getMessage()
          + "). Check that the directory is writable.", e);
    }
    SafetensorsWriter w = new SafetensorsWriter(fs, target, temp, overwrite, layout, out);
    byte[] header = layout.headerBytes();
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    prefix.putLong(header.length);
    w.emit(prefix.array(), 0, 8);
    w.emit(header, 0, header.length);
    w.advance();
    return w;
  }

  /** The tensor the next bytes belong to, or null when every tensor is complete. */
  public TensorInfo currentTensor() {
    return current < tensors.size() ? tensors.get(current) : null;
  }

  /** Encodes float32 values to the current tensor's dtype and appends them. */
  public void writeFloats(float[] src, int off, int count) {
    TensorInfo t = requireCurrent();
    int size = t.dtype().byteSize();
    if (!t.dtype().isFloatingPoint() || t.dtype().bits() == 8) {
      throw new IllegalStateException("cannot encode floats to " + t.dtype() + " for " + t.name());
    }
    if ((long) count * size > remainingInTensor) {
      throw new IllegalStateException(count + " values written to " + t.name() + ", which has"
          + " room for only " + remainingInTensor / size);
    }
    int perBatch = ENCODE_BUFFER_BYTES / size;
    for (int done = 0; done < count; ) {
      int n = Math.min(perBatch, count - done);
      encodeBuffer.clear();
      FloatCodecs.encode(t.dtype(), src, off + done, n, encodeBuffer);
      encodeBuffer.flip();
      writeBytes(encodeBuffer);
      done += n;
    }
  }

  /** Appends raw little-endian bytes to the current tensor; they may not run past its end. */
  public void writeBytes(ByteBuffer src) {
    TensorInfo t = requireCurrent();
    int len = src.remaining();
    if (len > remainingInTensor) {
      throw new IllegalStateException(len + " bytes written to " + t.name() + ", which has only "
          + remainingInTensor + " bytes left");
    }
    if (src.hasArray()) {
      emit(src.array(), src.arrayOffset() + src.position(), len);
      src.position(src.limit());
    } else {
      byte[] tmp = new byte[Math.min(len, 1 << 16)];
      while (src.hasRemaining()) {
        int n = Math.min(tmp.length, src.remaining());
        src.get(tmp, 0, n);
        emit(tmp, 0, n);
      }
    }
    remainingInTensor -= len;
    if (remainingInTensor == 0) {
      advance();
    }
  }

  /**
   * Closes the file and renames it to its final name. Fails if any tensor is incomplete.
   *
   * @return the SHA-256 of the file, lower-case hex
   */
  public String commit() {
    if (currentTensor() != null) {
      abort();
      throw new IllegalStateException(target + ": tensor " + tensors.get(current).name()
          + " is incomplete (" + remainingInTensor + " bytes missing); the file was not written");
    }
    finished = true;
    try {
      out.close();
      long len = fs.getFileStatus(temp).getLen();
      if (len != fileLength) {
        throw new CheckpointException(target + ": wrote " + len + " bytes, expected " + fileLength
            + "; the file system lost data.");
      }
      if (!overwrite && fs.exists(target)) {
        // Local file systems would silently replace it on rename.
        throw new CheckpointException(target + ": the file already exists; it was not replaced.");
      }
      if (!fs.rename(temp, target)) {
        if (overwrite && fs.exists(target)) {
          fs.delete(target, false);
          if (fs.rename(temp, target)) {
            return HexFormat.of().formatHex(sha256.digest());
          }
        }
        throw new CheckpointException(target + ": could not rename the finished file into place"
            + (fs.exists(target) ? " because the file already exists" : "") + ".");
      }
      return HexFormat.of().formatHex(sha256.digest());
    } catch (IOException e) {
      deleteTemp();
      throw new CheckpointException(target + ": writing failed: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      deleteTemp();
      throw e;
    }
  }

  /** Abandons the file: closes and deletes the temporary file. The target is untouched. */
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    try {
      out.close();
    } catch (IOException ignored) {
      // The file is being deleted anyway.
    }
    deleteTemp();
  }

  /** Aborts unless {@link #commit()} succeeded. */
  @Override
  public void close() {
    abort();
  }

  public long bytesWritten() {
    return written;
  }

  private void deleteTemp() {
    try {
      fs.delete(temp, false);
    } catch (IOException ignored) {
      // Best effort: a leftover hidden temp file is harmless and named as such.
    }
  }

  private TensorInfo requireCurrent() {
    if (finished) {
      throw new IllegalStateException(target + " is already closed");
    }
    TensorInfo t = currentTensor();
    if (t == null) {
      throw new IllegalStateException(target + ": every tensor is already complete");
    }
    return t;
  }

  /** Moves to the next tensor that has bytes (zero-size tensors need no writes). */
  private void advance() {
    current++;
    while (current < tensors.size() && tensors.get(current).byteLength() == 0) {
      current++;
    }
    remainingInTensor = current < tensors.size() ? tensors.get(current).byteLength() : 0;
  }

  private void emit(byte[] b, int off, int len) {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      abort();
      throw new CheckpointException(target + ": writing failed: " + e.getMessage(), e);
    }
    sha256.update(b, off, len);
    written += len;
  }
}
