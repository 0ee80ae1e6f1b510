package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DirectFileOutput} and how {@link CheckpointFs#createNew} picks it: every length around
 * the alignment and buffer boundaries comes back byte for byte (the padded last block cut off),
 * written in pieces of random sizes; existing files are refused; the setting turns it off. The
 * direct cases need a file system with O_DIRECT (this machine's and CI's disk have it; tmpfs
 * does not), and are skipped where the temporary directory has none.
 */
class DirectFileOutputTest {
  private static final int BUFFER = DirectFileOutput.BUFFER_BYTES;

  @TempDir Path dir;

  private DirectFileOutput directOrSkip(Path file) throws IOException {
    DirectFileOutput out = DirectFileOutput.createOrNull(file);
    assumeTrue(out != null, "the temporary directory's file system has no direct I/O");
    return out;
  }

  @Test
  void everyLengthAroundBlockAndBufferBoundariesRoundTrips() throws IOException {
    int[] lengths = {0, 1, 511, 4095, 4096, 4097, BUFFER - 1, BUFFER, BUFFER + 1,
        2 * BUFFER + 12345, 3 * BUFFER};
    Random random = new Random(7);
    for (int length : lengths) {
      byte[] data = new byte[length];
      random.nextBytes(data);
      Path file = dir.resolve("f" + length);
      try (DirectFileOutput out = directOrSkip(file)) {
        for (int at = 0; at < length; ) {
          int n = Math.min(length - at, random.nextInt(300_000) + 1);
          if (n == 1) {
            out.write(data[at] & 0xFF);
          } else {
            out.write(data, at, n);
          }
          at += n;
        }
      }
      assertArrayEquals(data, Files.readAllBytes(file), "length " + length);
    }
  }

  @Test
  void anExistingFileIsNeitherReplacedNorTakenForMissingDirectIo() throws IOException {
    Path file = dir.resolve("existing");
    Files.write(file, new byte[] {1, 2, 3});
    assertThrows(IOException.class, () -> DirectFileOutput.createOrNull(file));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
  }

  @Test
  void writingAfterCloseFails() throws IOException {
    DirectFileOutput out = directOrSkip(dir.resolve("closed"));
    out.write(new byte[] {9});
    out.close();
    out.close(); // a second close is harmless
    assertThrows(IOException.class, () -> out.write(new byte[] {1}));
    assertArrayEquals(new byte[] {9}, Files.readAllBytes(dir.resolve("closed")));
  }

  @Test
  void checkpointFsWritesLocalFilesDirectlyUnlessTurnedOff() throws IOException {
    directOrSkip(dir.resolve("probe")).close();
    byte[] data = new byte[BUFFER + 777];
    new Random(3).nextBytes(data);

    CheckpointFs direct = new CheckpointFs(new Configuration());
    Path a = dir.resolve("sub/a.bin"); // parent created as Hadoop's create does
    try (OutputStream out = direct.createNew(new org.apache.hadoop.fs.Path(a.toUri()))) {
      assertInstanceOf(DirectFileOutput.class, out);
      out.write(data);
    }

    Configuration off = new Configuration();
    off.setBoolean(CheckpointFs.DIRECT_IO, false);
    Path b = dir.resolve("b.bin");
    try (OutputStream out = new CheckpointFs(off).createNew(new org.apache.hadoop.fs.Path(
        b.toUri()))) {
      assertFalse(out instanceof DirectFileOutput);
      out.write(data);
    }
    assertArrayEquals(data, Files.readAllBytes(a));
    assertArrayEquals(data, Files.readAllBytes(b));
    assertEquals(data.length, Files.size(a));
  }
}
