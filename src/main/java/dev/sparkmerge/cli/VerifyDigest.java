package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.fs.Path;

/**
 * Byte length and SHA-256 of a file, streamed through the Hadoop file system in reads of at most
 * {@link CheckpointFs#MAX_READ_BYTES}: shards are often several GB, so memory stays bounded by one
 * buffer whatever the file size. The length is the number of bytes actually read, not the file
 * system's metadata, so a file that changes while it is hashed cannot pass unnoticed.
 */
final class VerifyDigest {
  record Result(long length, String sha256) {}

  private VerifyDigest() {}

  static Result of(CheckpointFs fs, Path file, long expectedLength) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
    // Small files get a small buffer; large ones the largest single read we allow.
    int size = (int) Math.max(4096, Math.min(CheckpointFs.MAX_READ_BYTES, expectedLength));
    byte[] buf = new byte[size];
    long total = 0;
    try (InputStream in = fs.fileSystem(file).open(file)) {
      for (int n; (n = in.read(buf, 0, buf.length)) >= 0; ) {
        sha.update(buf, 0, n);
        total += n;
      }
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
    return new Result(total, HexFormat.of().formatHex(sha.digest()));
  }
}
