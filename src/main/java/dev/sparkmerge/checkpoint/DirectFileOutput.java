package dev.sparkmerge.checkpoint;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a new local file with direct I/O (O_DIRECT): the bytes go from an aligned buffer to the
 * device without passing through the page cache. Merged shards are written once and not read
 * again by the merge, and on a machine whose page cache is full of the inputs (a merge reads
 * them several times) every buffered write first has to evict a page: measured on the 1.1B grid,
 * the kernel's copy into the page cache took about a quarter of all CPU time, and the merge ran
 * 66 → 52 s with direct writes (docs/BENCHMARKS.md).
 *
 * <p>Two buffers of {@link #BUFFER_BYTES}: while one is written by a background thread, the
 * caller fills the other, so the device time overlaps the merge. The file's last partial block
 * is written padded to the alignment and the file then truncated to its length. Errors of a
 * background write surface at the next write or at {@link #close()}.
 */
final class DirectFileOutput extends OutputStream {
  /**
   * 256 KiB: a grid task has one writer per candidate open at once, so this is off-heap memory
   * per candidate; O_DIRECT writes of this size ran at 1.2 GB/s on the benchmark disk (1 MiB:
   * 1.4), three times what a 2-core grid writes.
   */
  static final int BUFFER_BYTES = 1 << 18;
  /**
   * Largest alignment taken: full buffers are written whole, so the buffer size must be a multiple
   * of it (powers of two up to the buffer size are).
   */
  private static final int MAX_ALIGNMENT = BUFFER_BYTES;

  /** Background writers; daemon threads, so an abandoned writer never keeps a JVM alive. */
  private static final ExecutorService WRITERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sparkmerge-direct-write");
    t.setDaemon(true);
    return t;
  });

  private final Path file;
  private final FileChannel channel;
  private final int alignment;
  private ByteBuffer filling;
  private ByteBuffer spare;
  /** The background write of the other buffer, if one is under way. */
  private Future<?> pending;
  private long length;
  private boolean closed;

  private DirectFileOutput(Path file, FileChannel channel, int alignment) {
    this.file = file;
    this.channel = channel;
    this.alignment = alignment;
    this.filling = alignedBuffer(alignment);
    this.spare = alignedBuffer(alignment);
  }

  /**
   * Creates {@code file}, which must not exist, for direct writes; null when its file system or
   * platform does not offer direct I/O (tmpfs, macOS, …) — the caller then writes buffered.
   *
   * @throws IOException if the file cannot be created for another reason (it exists, the
   *     directory is not writable)
   */
  static DirectFileOutput createOrNull(Path file) throws IOException {
    int alignment;
    try {
      long block = Files.getFileStore(file.getParent()).getBlockSize();
      if (block <= 0 || block > MAX_ALIGNMENT || Long.bitCount(block) != 1) {
        return null;
      }
      alignment = (int) block;
    } catch (UnsupportedOperationException e) {
      return null;
    }
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          ExtendedOpenOption.DIRECT);
    } catch (UnsupportedOperationException e) {
      return null;
    } catch (IOException e) {
      if (Files.exists(file)) {
        throw e;
      }
      return null; // EINVAL: the file system refuses O_DIRECT
    }
    return new DirectFileOutput(file, channel, alignment);
  }

  private static ByteBuffer alignedBuffer(int alignment) {
    return ByteBuffer.allocateDirect(BUFFER_BYTES + alignment).alignedSlice(alignment)
        .limit(BUFFER_BYTES);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    requireOpen();
    while (len > 0) {
      int n = Math.min(len, filling.remaining());
      filling.put(b, off, n);
      off += n;
      len -= n;
      length += n;
      if (!filling.hasRemaining()) {
        startWrite(filling.flip());
      }
    }
  }

  /** Hands a full (or the last, padded) buffer to the background writer and takes the other. */
  private void startWrite(ByteBuffer full) throws IOException {
    awaitPending();
    filling = spare;
    spare = full;
    pending = WRITERS.submit(() -> {
      while (full.hasRemaining()) {
        channel.write(full);
      }
      full.clear();
      return null;
    });
  }

  private void awaitPending() throws IOException {
    if (pending == null) {
      return;
    }
    try {
      pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(file + ": interrupted while writing");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException ? (IOException) cause
          : new IOException(file + ": " + cause, cause);
    } finally {
      pending = null;
    }
  }

  private void requireOpen() throws IOException {
    if (closed) {
      throw new IOException(file + " is closed");
    }
  }

  /** Writes what is left (padded to the alignment), cuts the padding off, closes the file. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      int tail = filling.position();
      if (tail > 0) {
        int padded = (tail + alignment - 1) / alignment * alignment;
        while (filling.position() < padded) {
          filling.put((byte) 0);
        }
        startWrite(filling.flip());
      }
      awaitPending();
      channel.truncate(length);
    } finally {
      closeChannel();
    }
  }

  private void closeChannel() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing more to write through it.
    }
  }
}
