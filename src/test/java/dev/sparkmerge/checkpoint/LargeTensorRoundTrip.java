package dev.sparkmerge.checkpoint;

import dev.sparkmerge.testutil.GeneratedModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The child-JVM half of {@link LargeTensorTest}: run with a small heap ({@code -Xmx64m}), it writes
 * a safetensors file holding an F32 tensor of 2,164,260,864 bytes (more than 2^31) followed by a
 * small tensor, streaming values from {@link GeneratedModel#value}, then reads everything back in
 * chunks and checks every element. Since the heap is 64 MiB, no buffer of the whole tensor can
 * exist anywhere on the way. On success the last line printed is
 * <pre>LARGE-TENSOR-OK file_bytes=F big_elements=E checked=C chunks=K max_heap=H ...</pre>
 * and the exit code is 0; any failure exits non-zero with a message.
 *
 * <p>Usage: {@code LargeTensorRoundTrip DIR}; the file is {@code DIR/large.safetensors}.
 */
public final class LargeTensorRoundTrip {
  static final String BIG = "big.weight";
  static final String TAIL = "tail.bias";
  static final long ROWS = 129;
  static final long COLS = 4_194_304; // 4 Mi
  static final long BIG_ELEMENTS = ROWS * COLS; // 541,065,216
  static final long BIG_BYTES = 4 * BIG_ELEMENTS; // 2,164,260,864 > 2^31 = 2,147,483,648
  static final int TAIL_ELEMENTS = 1000;
  /** Chunk bound for the read-back: odd and under a row, so every row is split in two pieces. */
  static final int CHUNK_BOUND = 3_000_001;
  static final String FILE_NAME = "large.safetensors";

  private LargeTensorRoundTrip() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: LargeTensorRoundTrip DIR");
      System.exit(2);
    }
    try {
      run(java.nio.file.Path.of(args[0]).resolve(FILE_NAME));
    } catch (Throwable t) {
      System.out.flush();
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(java.nio.file.Path file) throws Exception {
    CheckpointFs fs = CheckpointFs.withDefaults();
    Path target = fs.resolve(file.toUri().toString());
    SafetensorsLayout layout = SafetensorsLayout.of(List.of(
        new TensorSpec(TAIL, DType.F32, new long[] {TAIL_ELEMENTS}),
        new TensorSpec(BIG, DType.F32, new long[] {ROWS, COLS})), Map.of());
    check(layout.tensors().get(0).name().equals(BIG), "big tensor first in the layout");
    long expectedLength = 8 + layout.headerSize() + BIG_BYTES + 4L * TAIL_ELEMENTS;
    check(layout.fileLength() == expectedLength, "layout length " + layout.fileLength());

    // ---- Write, streaming 1 Mi values at a time.
    long t0 = System.nanoTime();
    float[] buf = new float[1 << 20];
    String writerSha;
    try (SafetensorsWriter w = SafetensorsWriter.create(fs, target, layout, false)) {
      for (long done = 0; done < BIG_ELEMENTS; ) {
        int n = (int) Math.min(buf.length, BIG_ELEMENTS - done);
        GeneratedModel.fill(BIG, DType.F32, done, buf, 0, n);
        w.writeFloats(buf, 0, n);
        done += n;
      }
      check(w.currentTensor() != null && w.currentTensor().name().equals(TAIL),
          "after the big tensor the writer expects the tail");
      GeneratedModel.fill(TAIL, DType.F32, 0, buf, 0, TAIL_ELEMENTS);
      w.writeFloats(buf, 0, TAIL_ELEMENTS);
      writerSha = w.commit();
    }
    buf = null;
    long writeMs = (System.nanoTime() - t0) / 1_000_000;
    check(Files.size(file) == expectedLength, "file size " + Files.size(file) + " != "
        + expectedLength);
    try (var list = Files.list(file.getParent())) {
      check(list.count() == 1, "only the committed file is in the directory");
    }

    // ---- Header: offsets beyond the int range survive the round trip.
    long t1 = System.nanoTime();
    long checked = 0;
    long chunks;
    try (SafetensorsFile f = SafetensorsFile.open(fs, target)) {
      check(f.header().fileLength() == expectedLength, "header file length");
      TensorInfo big = f.tensor(BIG);
      TensorInfo tail = f.tensor(TAIL);
      check(big.begin() == 0 && big.end() == BIG_BYTES, "big offsets " + big);
      check(tail.begin() == BIG_BYTES && tail.end() == BIG_BYTES + 4L * TAIL_ELEMENTS,
          "tail offsets " + tail);
      check(big.numel() == BIG_ELEMENTS && big.rowLength() == COLS, "big shape " + big);

      // ---- Every element of the big tensor through TensorChunks: rows split in two pieces.
      TensorChunks plan = new TensorChunks(big.shape(), CHUNK_BOUND);
      chunks = plan.count();
      check(chunks == 2 * ROWS, "chunk count " + chunks);
      float[] dst = new float[plan.maxLength()];
      check(dst.length == CHUNK_BOUND, "max chunk " + dst.length);
      ByteBuffer scratch = null;
      long next = 0;
      for (long i = 0; i < chunks; i++) {
        long start = plan.start(i);
        int n = plan.length(i);
        check(start == next, "chunk " + i + " starts at " + start + ", expected " + next);
        check(start / COLS == (start + n - 1) / COLS, "chunk " + i + " crosses a row");
        scratch = f.readFloats(big, start, dst, 0, n, scratch);
        expect(BIG, start, dst, 0, n);
        next += n;
        checked += n;
      }
      check(next == BIG_ELEMENTS, "chunks cover " + next + " elements");

      // ---- One chunk straddling byte 2^31, both of the tensor's data and of the file.
      long straddleStart = (1L << 29) - 100_003;
      int straddleCount = 200_009;
      long fileStart = f.header().dataStart() + 4 * straddleStart;
      check(4 * straddleStart < (1L << 31) && 4 * (straddleStart + straddleCount) > (1L << 31),
          "straddles tensor byte 2^31");
      check(fileStart < (1L << 31) && fileStart + 4L * straddleCount > (1L << 31),
          "straddles file byte 2^31");
      float[] s = new float[straddleCount];
      f.readFloats(big, straddleStart, s, 0, straddleCount, null);
      expect(BIG, straddleStart, s, 0, straddleCount);
      checked += straddleCount;

      // ---- The last element, and the tensor stored after the big one.
      f.readFloats(big, BIG_ELEMENTS - 1, s, 0, 1, null);
      expect(BIG, BIG_ELEMENTS - 1, s, 0, 1);
      f.readFloats(tail, 0, s, 0, TAIL_ELEMENTS, null);
      expect(TAIL, 0, s, 0, TAIL_ELEMENTS);
      checked += 1 + TAIL_ELEMENTS;
    }
    long readMs = (System.nanoTime() - t1) / 1_000_000;

    // ---- The writer's SHA-256, against one computed here from the file's bytes.
    long t2 = System.nanoTime();
    String fileSha = sha256(file);
    check(fileSha.equals(writerSha), "writer SHA-256 " + writerSha + " != file " + fileSha);
    long shaMs = (System.nanoTime() - t2) / 1_000_000;

    System.out.println("LARGE-TENSOR-OK file_bytes=" + expectedLength + " big_elements="
        + BIG_ELEMENTS + " checked=" + checked + " chunks=" + chunks + " max_heap="
        + Runtime.getRuntime().maxMemory() + " write_ms=" + writeMs + " read_ms=" + readMs
        + " sha_ms=" + shaMs);
  }

  private static void expect(String name, long first, float[] got, int off, int n) {
    long bad = GeneratedModel.firstMismatch(name, DType.F32, first, got, off, n);
    if (bad >= 0) {
      throw new AssertionError(name + ": element " + bad + " is " + got[off + (int) (bad - first)]
          + ", expected " + GeneratedModel.value(name, bad, DType.F32));
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("check failed: " + what);
    }
  }

  private static String sha256(java.nio.file.Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer b = ByteBuffer.allocate(1 << 20);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (ch.read(b.clear()) > 0) {
        md.update(b.flip());
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
