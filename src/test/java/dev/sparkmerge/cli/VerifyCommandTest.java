package dev.sparkmerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sparkmerge verify` on a real output of `sparkmerge run` (linear merge of tiny models on Spark
 * local mode), clean and with one corruption at a time.
 */
class VerifyCommandTest {
  @TempDir static Path tmp;
  /** A clean sharded output (5 shards plus index); each test corrupts its own copy. */
  static Path clean;
  /** A clean output packed into a single model.safetensors. */
  static Path single;
  static final String SHARD2 = "model-00002-of-00005.safetensors";

  record Run(int code, String out, String err) {}

  /** Runs the CLI as a user does, through Main.run. */
  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void merge() throws IOException {
    TestSpark.context();
    Path a = TinyModel.write(tmp.resolve("a"), "a", DType.BF16);
    Path b = TinyModel.write(tmp.resolve("b"), "b", DType.BF16);
    Path cfg = tmp.resolve("linear.yml");
    Files.writeString(cfg, "merge_method: linear\n"
        + "models:\n"
        + "  - model: " + a + "\n    parameters: {weight: 0.6}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.4}\n"
        + "dtype: bfloat16\n");
    clean = tmp.resolve("out");
    Run run = cli("run", cfg.toString(), clean.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    assertTrue(Files.exists(clean.resolve(SHARD2)), "expected one shard per layer");
    single = tmp.resolve("out-single");
    run = cli("run", "--max-shard-size", "1GB", cfg.toString(), single.toString());
    assertEquals(0, run.code(), run.err() + run.out());
    assertTrue(Files.exists(single.resolve("model.safetensors")));
  }

  /** A private copy of the clean output to corrupt. */
  static Path copy(String name) throws IOException {
    Path dst = tmp.resolve(name);
    try (Stream<Path> files = Files.walk(clean)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = dst.resolve(clean.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return dst;
  }

  static Run verify(Path dir) {
    return cli("verify", dir.toString());
  }

  @Test
  void cleanShardedOutputVerifies() {
    Run r = verify(clean);
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("structure  ok (" + TinyModel.shapes().size()
        + " tensors in 5 shard(s), index and shards agree)"), r.out());
    for (int i = 1; i <= 5; i++) {
      String shard = "model-0000" + i + "-of-00005.safetensors";
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith("ok ") && l.contains(shard)),
          shard + " in\n" + r.out());
    }
    assertTrue(r.out().contains("OK: 5 shard(s) match merge-manifest.json"), r.out());
    assertFalse(r.out().contains("MISMATCH"), r.out());
  }

  @Test
  void cleanSingleFileOutputVerifies() {
    Run r = verify(single);
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("ok ")
        && l.contains("model.safetensors")), r.out());
    assertTrue(r.out().contains("OK: 1 shard(s) match"), r.out());
  }

  @Test
  void flippedDataByteIsAChecksumMismatch() throws IOException {
    Path dir = copy("flipped");
    Path shard = dir.resolve(SHARD2);
    long length = Files.size(shard);
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      byte[] prefix = new byte[8];
      f.readFully(prefix);
      long dataStart = 8 + ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
      f.seek(dataStart + 3);
      int b = f.read();
      f.seek(dataStart + 3);
      f.write(b ^ 0x10);
    }
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    // The header is untouched, so only the checksum can catch it.
    assertTrue(r.out().contains("structure  ok"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("MISMATCH") && l.contains(SHARD2)
        && l.contains("sha256 expected ") && !l.contains("length expected")), r.out());
    assertTrue(r.out().contains("FAILED: 1 problem(s)"), r.out());
    assertTrue(r.out().contains("  - " + SHARD2 + ": sha256 expected "), r.out());
    assertEquals(length, Files.size(shard));
  }

  @Test
  void deletedShardIsMissing() throws IOException {
    Path dir = copy("deleted");
    Files.delete(dir.resolve(SHARD2));
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("MISSING") && l.contains(SHARD2)),
        r.out());
    assertTrue(r.out().contains("  - " + SHARD2 + ": listed in merge-manifest.json but missing"
        + " from the directory."), r.out());
    // The index names it too: the structure check fails, naming the shard.
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  - structure: ")
        && l.contains("not in the directory") && l.contains(SHARD2)), r.out());
  }

  @Test
  void truncatedShardFailsLengthAndStructure() throws IOException {
    Path dir = copy("truncated");
    Path shard = dir.resolve(SHARD2);
    long length = Files.size(shard);
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.setLength(length - 10);
    }
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().contains("  - " + SHARD2 + ": length expected " + length
        + " bytes, actual " + (length - 10) + "; sha256 expected "), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  - structure: ")
        && l.contains(SHARD2) && l.contains("truncated")), r.out());
  }

  @Test
  void missingManifestIsReported() throws IOException {
    Path dir = copy("no-manifest");
    Files.delete(dir.resolve("merge-manifest.json"));
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().contains("  - merge-manifest.json: missing"), r.out());
    assertTrue(r.out().contains("FAILED: 1 problem(s)"), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("unchecked") && l.contains(SHARD2)),
        r.out());
  }

  @Test
  void unparseableManifestIsReported() throws IOException {
    Path dir = copy("bad-manifest");
    Files.writeString(dir.resolve("merge-manifest.json"), "{\"shards\": [");
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().contains("  - merge-manifest.json: not valid JSON"), r.out());
  }

  @Test
  void missingSuccessMarkerIsReported() throws IOException {
    Path dir = copy("no-success");
    Files.delete(dir.resolve("_SUCCESS"));
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().contains("  - _SUCCESS: missing; the merge did not finish"), r.out());
    assertTrue(r.out().contains("FAILED: 1 problem(s)"), r.out());
  }

  @Test
  void extraShardFileIsUnexpected() throws IOException {
    Path dir = copy("extra");
    String extra = "model-00006-of-00006.safetensors";
    Files.copy(dir.resolve(SHARD2), dir.resolve(extra));
    Run r = verify(dir);
    assertEquals(1, r.code(), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("UNEXPECTED") && l.contains(extra)),
        r.out());
    assertTrue(r.out().contains("  - " + extra + ": on disk but not listed in"
        + " merge-manifest.json."), r.out());
    assertTrue(r.out().contains("  - " + extra + ": on disk but not part of the model"),
        r.out());
    assertTrue(r.out().contains("FAILED: 2 problem(s)"), r.out());
  }

  @Test
  void missingDirectoryIsAnError() {
    Run r = verify(tmp.resolve("nope"));
    assertEquals(1, r.code(), r.out() + r.err());
    assertTrue(r.err().contains("no such directory"), r.err());
  }
}
