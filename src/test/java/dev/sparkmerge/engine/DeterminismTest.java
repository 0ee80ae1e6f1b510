package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.cli.Main;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.testutil.TestSpark;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same config gives the same bytes however it runs: chunk size 1 KiB (tensors split into
 * many chunks, statistics gathered over chunks) or 64 MiB (one chunk per tensor), small output
 * shards or the default ones, local[1] or local[2] (child JVMs: one Spark context per JVM), and
 * run twice. Chunk and shard sizes are checked for methods with a statistics stage (ties,
 * dare_ties, breadcrumbs, della) and without (linear, slerp); the masters for ties, dare_ties and
 * della (statistics, random masks, both), the repeated run for ties and dare_ties.
 */
class DeterminismTest {
  private static final int LAYERS = 3;
  private static final int HIDDEN = 32; // q_proj 4 KiB and down_proj 8 KiB in F32: many 1 KiB chunks
  private static final int VOCAB = 40;

  @TempDir static Path tmp;
  static Path base;
  static Path a;
  static Path b;
  static final Map<String, Path> configs = new LinkedHashMap<>();
  static List<TensorSpec> specs;

  @BeforeAll
  static void setUp() throws IOException {
    TestSpark.context();
    CheckpointFs fs = CheckpointFs.withDefaults();
    specs = MethodsEndToEndTest.llama(DType.F32, LAYERS, HIDDEN, VOCAB);
    base = tmp.resolve("base");
    a = tmp.resolve("a");
    b = tmp.resolve("b");
    MethodsEndToEndTest.writeSalted(fs, MethodsEndToEndTest.local(base), "base", specs, 1,
        LAYERS);
    MethodsEndToEndTest.writeSalted(fs, MethodsEndToEndTest.local(a), "a", specs, 2, LAYERS);
    MethodsEndToEndTest.writeSalted(fs, MethodsEndToEndTest.local(b), "b", specs, 1, LAYERS);
    String head = "base_model: " + base + "\nmodels:\n";
    configs.put("linear", write("linear", "merge_method: linear\nmodels:\n"
        + "  - model: " + a + "\n    parameters: {weight: 0.6}\n"
        + "  - model: " + b + "\n    parameters: {weight: [0.1, 0.5]}\n"
        + "  - model: " + base + "\n    parameters: {weight: 0.3}\n"
        + "dtype: bfloat16\n"));
    configs.put("slerp", write("slerp", "merge_method: slerp\n" + head
        + "  - model: " + base + "\n  - model: " + a + "\n"
        + "parameters:\n  t:\n    - filter: mlp\n      value: [0, 0.7]\n    - value: 0.3\n"));
    configs.put("ties", write("ties", "merge_method: ties\n" + head
        + "  - model: " + a + "\n    parameters: {weight: 1.0, density: 0.5}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.7, density: 0.3}\n"
        + "parameters: {normalize: true}\n"));
    configs.put("dare_ties", write("dare_ties", "merge_method: dare_ties\n" + head
        + "  - model: " + a + "\n    parameters: {weight: 0.8}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.5}\n"
        + "parameters: {density: 0.6}\nseed: 7\n"));
    configs.put("breadcrumbs", write("breadcrumbs", "merge_method: breadcrumbs\n" + head
        + "  - model: " + a + "\n    parameters: {weight: 1.0, density: 0.8, gamma: 0.05}\n"
        + "  - model: " + b + "\n    parameters: {weight: 0.5, density: 0.7, gamma: 0.1}\n"));
    if (MethodRegistry.names().contains("della")) {
      configs.put("della", write("della", "merge_method: della\n" + head
          + "  - model: " + a + "\n    parameters: {weight: 1.0, density: 0.5, epsilon: 0.1}\n"
          + "  - model: " + b + "\n    parameters: {weight: 0.6, density: 0.4, epsilon: 0.2}\n"
          + "seed: 11\n"));
    }
  }

  private static Path write(String name, String yaml) throws IOException {
    Path p = tmp.resolve(name + ".yml");
    Files.writeString(p, yaml);
    return p;
  }

  /** Every file of a directory (name → SHA-256), recursively flattened. */
  static Map<String, String> allFiles(Path dir) throws Exception {
    Map<String, String> h = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          h.put(dir.relativize(p).toString(), HexFormat.of().formatHex(
              java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
        }
      }
    }
    return h;
  }

  /** Raw bytes of every tensor, by name. */
  static Map<String, byte[]> tensors(Path dir) {
    CheckpointFs fs = CheckpointFs.withDefaults();
    Map<String, byte[]> out = new TreeMap<>();
    for (String name : HfModel.open(fs, dir.toString()).tensors().keySet()) {
      out.put(name, MethodsEndToEndTest.readRaw(fs, dir.toString(), name));
    }
    return out;
  }

  static void assertSameTensors(Path expected, Path actual) {
    Map<String, byte[]> e = tensors(expected);
    Map<String, byte[]> g = tensors(actual);
    assertEquals(e.keySet(), g.keySet(), actual.toString());
    for (String name : e.keySet()) {
      assertArrayEquals(e.get(name), g.get(name), actual + ": " + name);
    }
  }

  @Test
  void chunkSizeAndShardSizeDoNotChangeTensorBytes() throws Exception {
    for (Map.Entry<String, Path> c : configs.entrySet()) {
      String m = c.getKey();
      Path big = tmp.resolve("in-jvm-" + m + "-64MiB");
      MethodsEndToEndTest.runOk(c.getValue(), big, "--chunk-size", "64MiB");
      Path small = tmp.resolve("in-jvm-" + m + "-1KiB");
      MethodsEndToEndTest.runOk(c.getValue(), small, "--chunk-size", "1KiB");
      Path packed = tmp.resolve("in-jvm-" + m + "-1KiB-4KiB-shards");
      MethodsEndToEndTest.runOk(c.getValue(), packed, "--chunk-size", "1KiB",
          "--max-shard-size", "4KiB");
      // Equal sharding: byte-identical shard files.
      assertEquals(MergeRunTest.shardHashes(big), MergeRunTest.shardHashes(small), m);
      assertEquals(LAYERS + 2, MergeRunTest.shardHashes(big).size(), m);
      // Different sharding: identical tensors.
      assertTrue(MergeRunTest.shardHashes(packed).size() > LAYERS + 2,
          m + ": 4 KiB shards split the layers: " + MergeRunTest.shardHashes(packed).keySet());
      assertSameTensors(big, packed);
    }
    // The methods really differ (a broken comparison would pass trivially on equal outputs).
    assertNotEquals(MergeRunTest.shardHashes(tmp.resolve("in-jvm-ties-64MiB")),
        MergeRunTest.shardHashes(tmp.resolve("in-jvm-dare_ties-64MiB")));
  }

  @Test
  void runningTwiceGivesIdenticalFiles() throws Exception {
    for (String m : List.of("ties", "dare_ties")) {
      Path out = tmp.resolve("twice-" + m);
      MethodsEndToEndTest.runOk(configs.get(m), out, "--chunk-size", "1KiB");
      Map<String, String> first = allFiles(out);
      Thread.sleep(1100); // a timestamp in any file would now differ
      MethodsEndToEndTest.runOk(configs.get(m), out, "--overwrite", "--chunk-size", "1KiB");
      Map<String, String> second = allFiles(out);
      assertEquals(first, second, m);
      for (String f : List.of("model.safetensors.index.json", "config.json",
          "merge-manifest.json", "README.md", "mergekit_config.yml", "_SUCCESS")) {
        assertTrue(first.containsKey(f), m + ": " + f + " in " + first.keySet());
      }
    }
  }

  /**
   * Child-JVM entry: {@code DeterminismTest MASTER CONFIG OUTPUT [CONFIG OUTPUT ...]} starts one
   * Spark context with that master and runs each merge through the CLI on it.
   */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    JavaSparkContext context = SparkContexts.create("determinism " + args[0], Map.of(
        "spark.master", args[0],
        "spark.ui.enabled", "false",
        "spark.driver.host", "127.0.0.1",
        "spark.driver.bindAddress", "127.0.0.1"));
    int code = 0;
    for (int i = 1; i + 1 < args.length && code == 0; i += 2) {
      code = Main.run(new String[] {"run", "-q", args[i], args[i + 1]}, out, err);
    }
    err.println("master " + context.master());
    context.stop();
    System.exit(code);
  }

  private static Process fork(String master, List<String> pairs, File log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + "/bin/java");
    cmd.add("-Xmx512m");
    for (String flag : System.getProperty("sparkmerge.jvm.flags", "").split(" ")) {
      if (!flag.isBlank()) {
        cmd.add(flag);
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
        DeterminismTest.class.getName(), master));
    cmd.addAll(pairs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  /** The methods run in child JVMs: statistics stage, random masks, both. */
  private static Map<String, Path> forkedConfigs() {
    Map<String, Path> m = new LinkedHashMap<>();
    for (String name : List.of("ties", "dare_ties", "della")) {
      if (configs.containsKey(name)) {
        m.put(name, configs.get(name));
      }
    }
    return m;
  }

  @Test
  void localOneAndLocalTwoGiveIdenticalShards() throws Exception {
    Map<String, List<String>> pairs = new LinkedHashMap<>();
    for (String master : List.of("local[1]", "local[2]")) {
      List<String> p = new ArrayList<>();
      for (Map.Entry<String, Path> c : forkedConfigs().entrySet()) {
        p.add(c.getValue().toString());
        p.add(tmp.resolve(master.replaceAll("[\\[\\]]", "") + "-" + c.getKey()).toString());
      }
      pairs.put(master, p);
    }
    // Both children at once, plus the reference runs in this JVM (local[2,2]).
    File log1 = tmp.resolve("local1.log").toFile();
    File log2 = tmp.resolve("local2.log").toFile();
    Process p1 = fork("local[1]", pairs.get("local[1]"), log1);
    Process p2 = fork("local[2]", pairs.get("local[2]"), log2);
    Map<String, Path> reference = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Path> c : forkedConfigs().entrySet()) {
        Path out = tmp.resolve("reference-" + c.getKey());
        MethodsEndToEndTest.runOk(c.getValue(), out, "--chunk-size", "1KiB");
        reference.put(c.getKey(), out);
      }
      assertTrue(p1.waitFor(5, TimeUnit.MINUTES), "local[1] child timed out");
      assertTrue(p2.waitFor(5, TimeUnit.MINUTES), "local[2] child timed out");
    } finally {
      p1.destroyForcibly();
      p2.destroyForcibly();
    }
    assertEquals(0, p1.exitValue(), Files.readString(log1.toPath()));
    assertEquals(0, p2.exitValue(), Files.readString(log2.toPath()));
    assertTrue(Files.readString(log1.toPath()).contains("master local[1]"));
    assertTrue(Files.readString(log2.toPath()).contains("master local[2]"));
    for (Map.Entry<String, Path> r : reference.entrySet()) {
      Map<String, String> want = MergeRunTest.shardHashes(r.getValue());
      for (String m : List.of("local1", "local2")) {
        Path got = tmp.resolve(m + "-" + r.getKey());
        assertEquals(want, MergeRunTest.shardHashes(got), m + " " + r.getKey());
        assertEquals(Files.readString(r.getValue().resolve("model.safetensors.index.json")),
            Files.readString(got.resolve("model.safetensors.index.json")), m + " " + r.getKey());
      }
    }
    assertTrue(Arrays.asList(tmp.toFile().list()).contains("local2-ties"));
  }
}
