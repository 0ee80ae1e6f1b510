package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The determinism contract for scores: a model's logits have the same bits whatever runs them —
 * the interpreter, C1 or C2 (cold or warm JVM), the Vector API at 512, 256 or 128 bits or the
 * scalar kernels, one append or several. Each setting runs {@link ForwardBits} in a child JVM
 * (a few seconds in all) and must print the test JVM's digests.
 */
class ForwardDeterminismTest {
  @Test
  void appendingInPiecesGivesTheSameBits() {
    ForwardBits.models().forEach((name, m) -> {
      String whole = ForwardBits.digest(ForwardBits.logits(m, new int[] {ForwardBits.TOKENS}));
      for (int[] pieces : new int[][] {{1, 13, 46}, {7, 7, 7, 39}, {59, 1}}) {
        assertEquals(whole, ForwardBits.digest(ForwardBits.logits(m, pieces)),
            name + " appended in pieces " + java.util.Arrays.toString(pieces));
      }
    });
  }

  @Test
  void everyJitTierVectorWidthAndTheScalarKernelsGiveTheSameBits() throws Exception {
    Map<String, String> all = ForwardBits.digests();
    Map<String, List<String>> settings = new LinkedHashMap<>();
    settings.put("interpreter", List.of("-Xint")); // the llama only: the others take 10 s here
    settings.put("C1 only", List.of("-XX:TieredStopAtLevel=1"));
    settings.put("scalar kernels", List.of("-Dsparkmerge.simd=false"));
    settings.put("256-bit vectors", List.of("-XX:MaxVectorSize=32"));
    settings.put("128-bit vectors", List.of("-XX:MaxVectorSize=16"));
    settings.put("warmed up (C2)", List.of("-XX:-BackgroundCompilation"));
    Map<String, Process> running = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> s : settings.entrySet()) {
      List<String> args = s.getKey().startsWith("warmed") ? List.of("--warm", "2")
          : s.getKey().equals("interpreter") ? List.of("llama") : List.of();
      running.put(s.getKey(), fork(s.getValue(), args));
    }
    for (Map.Entry<String, Process> r : running.entrySet()) {
      Map<String, String> expected = r.getKey().equals("interpreter")
          ? Map.of("llama", all.get("llama")) : all;
      Process p = r.getValue();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(120, TimeUnit.SECONDS);
      assertEquals(0, p.exitValue(), r.getKey() + ": child JVM failed:\n" + out);
      assertFalse(out.contains("CHANGED"), r.getKey() + ": bits changed as the JIT warmed up:\n"
          + out);
      Map<String, String> actual = new LinkedHashMap<>();
      for (String line : out.split("\n")) {
        String[] f = line.trim().split(" ");
        if (f.length == 2 && expected.containsKey(f[0])) {
          actual.put(f[0], f[1]);
        }
      }
      assertEquals(expected, actual, r.getKey() + " gives other logits than this JVM:\n" + out);
    }
  }

  /** ForwardBits in a child JVM with this JVM's class path and module flags, plus extra. */
  private static Process fork(List<String> jvmFlags, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + "/bin/java");
    cmd.add("-Xmx256m");
    for (String flag : System.getProperty("sparkmerge.jvm.flags",
        "--add-modules=jdk.incubator.vector").split(" ")) {
      if (!flag.isBlank()) {
        cmd.add(flag);
      }
    }
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        ForwardBits.class.getName()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }
}
