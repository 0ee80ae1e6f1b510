package dev.sparkmerge.testutil;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code failonce://}, whose positioned reads fail once
 * after {@link #arm(int)}: the Nth read after arming throws an IOException, as a dying disk or
 * DataNode would. Register with {@code fs.failonce.impl}; Spark local mode runs tasks in this JVM,
 * so the static trigger reaches them.
 */
public final class FailOnceFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "failonce";
  private static final AtomicInteger READS_UNTIL_FAILURE = new AtomicInteger(-1);
  private static final AtomicInteger FAILURES = new AtomicInteger();

  /** The next {@code n}-th positioned read (1 = the very next) fails, once. */
  public static void arm(int n) {
    READS_UNTIL_FAILURE.set(n);
  }

  /** How many reads failed since the JVM started. */
  public static int failures() {
    return FAILURES.get();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    FSDataInputStream in = super.open(f, bufferSize);
    return new FSDataInputStream(new FSInputStream() {
      @Override
      public int read(long position, byte[] buffer, int offset, int length) throws IOException {
        if (READS_UNTIL_FAILURE.get() > 0 && READS_UNTIL_FAILURE.decrementAndGet() == 0) {
          FAILURES.incrementAndGet();
          throw new IOException("injected read failure in " + f);
        }
        return in.read(position, buffer, offset, length);
      }

      @Override
      public void seek(long pos) throws IOException {
        in.seek(pos);
      }

      @Override
      public long getPos() throws IOException {
        return in.getPos();
      }

      @Override
      public boolean seekToNewSource(long targetPos) {
        return false;
      }

      @Override
      public int read() throws IOException {
        return in.read();
      }

      @Override
      public void close() throws IOException {
        in.close();
      }
    });
  }
}
