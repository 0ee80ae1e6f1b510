package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tensor larger than 2 GiB round-trips through {@link SafetensorsWriter} and chunked {@link
 * SafetensorsFile} reads without any JVM heap holding it: {@link LargeTensorRoundTrip} runs in a
 * child JVM with {@code -Xmx64m}, far below the tensor's 2,164,260,864 bytes, and checks every
 * element itself. Needs about 2.1 GB of free disk in the temp directory; takes tens of seconds.
 */
@Tag("slow")
class LargeTensorTest {
  private static final long TIMEOUT_MINUTES = 15;

  @TempDir
  Path tmp;

  @Test
  void tensorOver2GiBRoundTripsInA64MiBHeap() throws Exception {
    long need = 2_164_260_864L + (256L << 20);
    assumeTrue(Files.getFileStore(tmp).getUsableSpace() > need,
        "not enough free disk in " + tmp + " for a 2.1 GB file");
    Path data = Files.createDirectory(tmp.resolve("data"));
    Path log = tmp.resolve("child.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-Djdk.nio.maxCachedBufferSize=1048576",
        "-cp", System.getProperty("java.class.path"), LargeTensorRoundTrip.class.getName(),
        data.toString());
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        fail("the child JVM did not finish in " + TIMEOUT_MINUTES + " minutes:\n" + tail(log));
      }
      long seconds = (System.nanoTime() - t0) / 1_000_000_000;
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), "child JVM failed:\n" + output);

      Matcher m = Pattern.compile("LARGE-TENSOR-OK file_bytes=(\\d+) big_elements=(\\d+)"
          + " checked=(\\d+) chunks=(\\d+) max_heap=(\\d+) write_ms=(\\d+) read_ms=(\\d+)"
          + " sha_ms=(\\d+)").matcher(output);
      assertTrue(m.find(), "no result line in:\n" + output);
      System.out.println("LargeTensorTest: child JVM took " + seconds + " s (" + m.group() + ")");
      // 129 x 4,194,304 F32 elements = 541,065,216 elements = 2,164,260,864 bytes.
      assertEquals(541_065_216L, Long.parseLong(m.group(2)));
      long fileBytes = Long.parseLong(m.group(1));
      assertTrue(fileBytes > 2_164_260_864L + 4000 && fileBytes < 2_164_260_864L + 4000 + 1024,
          "file length " + fileBytes + " = 8 + header + both tensors");
      // Every big element once, the 200,009-element straddling chunk, the last element again,
      // and the 1000 tail elements.
      assertEquals(541_065_216L + 200_009 + 1 + 1000, Long.parseLong(m.group(3)));
      assertEquals(258, Long.parseLong(m.group(4))); // 2 pieces per row for a 3,000,001 bound
      long maxHeap = Long.parseLong(m.group(5));
      assertTrue(maxHeap <= 64L << 20, "child heap limit " + maxHeap);
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      deleteContents(data);
    }
  }

  /** Deletes the 2 GiB file and any leftover temp file now, rather than at JUnit's cleanup. */
  private static void deleteContents(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
