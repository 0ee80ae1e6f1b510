package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sparkmerge run` with inputs and OUTPUT on HDFS (one MiniDFSCluster for the class, one
 * DataNode, every listener on 127.0.0.1, 16 KiB blocks so most tensors span several blocks): a
 * sharded base and two single-file fine-tunes with different (salted) values. The output is a
 * complete model on HDFS whose manifest checksums match the files, whose shards are
 * byte-identical to a local-disk run of the same config, and whose linear values match float64.
 */
@Tag("cluster")
class HdfsMergeTest {
  private static final int BLOCK = 16 << 10;
  private static final int LAYERS = 2;
  private static final int HIDDEN = 64;
  private static final int VOCAB = 300; // embed_tokens: 300 x 64 BF16 = 37.5 KiB, 3 blocks

  @TempDir static java.nio.file.Path tmp;
  private static MiniDFSCluster cluster;
  private static File baseDir;
  private static DistributedFileSystem dfs;
  private static CheckpointFs cfs;
  private static String root;
  private static List<TensorSpec> specs;

  @BeforeAll
  static void startCluster() throws Exception {
    TestSpark.context();
    baseDir = new File(buildDir(), "minidfs-merge-" + UUID.randomUUID());
    cluster = dev.sparkmerge.testutil.MiniDfs.start(baseDir, BLOCK);
    dfs = cluster.getFileSystem();
    cfs = new CheckpointFs(cluster.getConfiguration(0));
    root = cluster.getURI().toString();
    specs = MethodsEndToEndTest.llama(DType.BF16, LAYERS, HIDDEN, VOCAB);
    // The same three models on HDFS and on local disk.
    CheckpointFs local = CheckpointFs.withDefaults();
    for (String salt : new String[] {"base", "a", "b"}) {
      int shards = salt.equals("base") ? 3 : 1;
      MethodsEndToEndTest.writeSalted(cfs, new Path(root + "/models/" + salt), salt, specs,
          shards, LAYERS);
      MethodsEndToEndTest.writeSalted(local, MethodsEndToEndTest.local(tmp.resolve(salt)), salt,
          specs, shards, LAYERS);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static File buildDir() throws URISyntaxException {
    File testClasses = new File(HdfsMergeTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    return testClasses.getParentFile();
  }

  private static String linearConfig(String models) {
    return "merge_method: linear\n"
        + "base_model: " + models + "/base\n"
        + "models:\n"
        + "  - model: " + models + "/base\n    parameters: {weight: 0.5}\n"
        + "  - model: " + models + "/a\n    parameters: {weight: 0.3}\n"
        + "  - model: " + models + "/b\n    parameters: {weight: 0.2}\n"
        + "dtype: float32\n";
  }

  private static String tiesConfig(String models) {
    return "merge_method: ties\n"
        + "base_model: " + models + "/base\n"
        + "models:\n"
        + "  - model: " + models + "/a\n    parameters: {weight: 1.0, density: 0.5}\n"
        + "  - model: " + models + "/b\n    parameters: {weight: 0.6, density: 0.3}\n"
        + "parameters: {normalize: true}\n";
  }

  /** Writes the config to HDFS (CONFIG may be a Hadoop URI too) and runs the merge. */
  private static String runOnHdfs(String name, String yaml) throws IOException {
    Path cfg = new Path(root + "/configs/" + name + ".yml");
    try (var out = dfs.create(cfg, true)) {
      out.write(yaml.getBytes(StandardCharsets.UTF_8));
    }
    String output = root + "/out/" + name;
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", "--chunk-size", "4KiB", cfg.toString(),
        output);
    assertEquals(0, run.code(), run.err() + run.out());
    return output;
  }

  private static java.nio.file.Path runLocally(String name, String yaml) throws IOException {
    java.nio.file.Path cfg = tmp.resolve(name + ".yml");
    Files.writeString(cfg, yaml);
    java.nio.file.Path out = tmp.resolve("out-" + name);
    MethodsEndToEndTest.runOk(cfg, out);
    return out;
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = dfs.open(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static Map<String, String> hdfsShardHashes(String dir) throws Exception {
    Map<String, String> h = new TreeMap<>();
    for (FileStatus s : dfs.listStatus(new Path(dir))) {
      if (s.getPath().getName().endsWith(".safetensors")) {
        h.put(s.getPath().getName(), sha256(s.getPath()));
      }
    }
    return h;
  }

  private static String readHdfs(String file) throws IOException {
    try (InputStream in = dfs.open(new Path(file))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Structure, manifest checksums and byte identity with the local run. */
  private static void checkOutput(String out, java.nio.file.Path localOut) throws Exception {
    for (String f : new String[] {"model.safetensors.index.json", "config.json", "_SUCCESS",
        "merge-manifest.json", "README.md", "mergekit_config.yml", "tokenizer.json"}) {
      assertTrue(dfs.exists(new Path(out + "/" + f)), out + "/" + f);
    }
    Map<String, String> hashes = hdfsShardHashes(out);
    assertEquals(LAYERS + 2, hashes.size(), hashes.keySet().toString());
    JsonNode manifest = new ObjectMapper().readTree(readHdfs(out + "/merge-manifest.json"));
    assertEquals(hashes.size(), manifest.get("shards").size());
    for (JsonNode s : manifest.get("shards")) {
      String file = s.get("file").asText();
      assertEquals(hashes.get(file), s.get("sha256").asText(), file);
      assertEquals(dfs.getFileStatus(new Path(out + "/" + file)).getLen(),
          s.get("length").asLong(), file);
    }
    JsonNode index = new ObjectMapper().readTree(readHdfs(out
        + "/model.safetensors.index.json"));
    assertEquals(specs.size(), index.get("weight_map").size());
    for (JsonNode file : index.get("weight_map")) {
      assertTrue(hashes.containsKey(file.asText()), file.asText());
    }
    JsonNode config = new ObjectMapper().readTree(readHdfs(out + "/config.json"));
    assertEquals(LAYERS, config.get("num_hidden_layers").asInt());
    assertEquals("{\"salt\": \"base\"}\n", readHdfs(out + "/tokenizer.json"), "from the base");
    // No temporary files left on HDFS.
    for (FileStatus s : dfs.listStatus(new Path(out))) {
      assertFalse(s.getPath().getName().contains(".inprogress"), s.getPath().toString());
    }
    // The local-disk run of the same config wrote the same shard bytes and the same index.
    assertEquals(MergeRunTest.shardHashes(localOut), hashes);
    assertEquals(Files.readString(localOut.resolve("model.safetensors.index.json")),
        readHdfs(out + "/model.safetensors.index.json"));
    assertEquals(Files.readString(localOut.resolve("config.json")), readHdfs(out
        + "/config.json"));
  }

  @Test
  void linearMergeOnHdfsMatchesLocalRunAndFloat64() throws Exception {
    String out = runOnHdfs("linear", linearConfig(root + "/models"));
    java.nio.file.Path localOut = runLocally("linear", linearConfig(tmp.toString()));
    checkOutput(out, localOut);
    for (TensorSpec s : specs) {
      float[] got = MethodsEndToEndTest.readFloats(cfs, out, s.name());
      for (int i = 0; i < got.length; i++) {
        double want = 0.5 * TinyModel.value("base", s.name(), i)
            + 0.3 * TinyModel.value("a", s.name(), i) + 0.2 * TinyModel.value("b", s.name(), i);
        assertEquals(want, got[i], 1e-6, s.name() + "[" + i + "]");
      }
      assertEquals(DType.F32, HfModel.open(cfs, out).require(s.name()).info().dtype());
    }
  }

  @Test
  void tiesMergeOnHdfsMatchesLocalRunByteForByte() throws Exception {
    String out = runOnHdfs("ties", tiesConfig(root + "/models"));
    java.nio.file.Path localOut = runLocally("ties", tiesConfig(tmp.toString()));
    checkOutput(out, localOut);
    // Sanity: TIES changed something relative to the base, and kept the base's dtype.
    String name = "model.layers.1.mlp.down_proj.weight";
    float[] got = MethodsEndToEndTest.readFloats(cfs, out, name);
    int differs = 0;
    for (int i = 0; i < got.length; i++) {
      differs += got[i] != TinyModel.value("base", name, i) ? 1 : 0;
    }
    assertTrue(differs > got.length / 4, differs + " of " + got.length);
    assertEquals(DType.BF16, HfModel.open(cfs, out).require(name).info().dtype());
  }
}
