package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.cli.Main;
import dev.sparkmerge.testutil.GeneratedModel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint I/O against a real HDFS (one MiniDFSCluster for the class, one DataNode, every
 * listener on 127.0.0.1, 1 MiB blocks so a few-MiB tensor spans several blocks). Models are made
 * by {@link GeneratedModel}; expected values come from its value function, shapes and counts from
 * the model dimensions written out here.
 */
@Tag("cluster")
class HdfsCheckpointTest {
  private static final int BLOCK = 1 << 20;

  // The sharded model: embed_tokens is 8200 x 256 BF16 = 4,198,400 bytes, about 4 blocks.
  private static final int LAYERS = 2;
  private static final int HIDDEN = 256;
  private static final int INTERMEDIATE = 688;
  private static final int VOCAB = 8200;
  private static final int KV_DIM = 64; // 2 kv heads of 256 / 8
  private static final int SHARDS = 3;

  private static MiniDFSCluster cluster;
  private static File baseDir;
  private static DistributedFileSystem dfs;
  private static CheckpointFs cfs;
  /** hdfs://127.0.0.1:port/models/sharded, written once in @BeforeAll. */
  private static Path sharded;

  @BeforeAll
  static void startCluster() throws Exception {
    baseDir = new File(buildDir(), "minidfs-" + UUID.randomUUID());
    cluster = dev.sparkmerge.testutil.MiniDfs.start(baseDir, BLOCK);
    dfs = cluster.getFileSystem();
    cfs = new CheckpointFs(cluster.getConfiguration(0));
    sharded = new Path(cluster.getURI().toString() + "/models/sharded");
    shardedModel().writeTo(cfs, sharded);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  /** The build directory: the parent of test-classes (target-hdfs/ or whatever the build uses). */
  private static File buildDir() throws URISyntaxException {
    File testClasses = new File(HdfsCheckpointTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    return testClasses.getParentFile();
  }

  private static GeneratedModel shardedModel() {
    return GeneratedModel.llama().layers(LAYERS).hidden(HIDDEN).intermediate(INTERMEDIATE)
        .vocab(VOCAB).heads(8, 2).dtype(DType.BF16).shards(SHARDS).tied(true);
  }

  /** Parameters of the sharded model, from the Llama shapes. */
  private static long expectedParameters() {
    long perLayer = 2L * HIDDEN * HIDDEN // q_proj, o_proj
        + 2L * KV_DIM * HIDDEN // k_proj, v_proj
        + 3L * INTERMEDIATE * HIDDEN // gate, up, down
        + 2L * HIDDEN; // the two layer norms
    return (long) VOCAB * HIDDEN + LAYERS * perLayer + HIDDEN;
  }

  private static final int EXPECTED_TENSORS = 1 + 9 * LAYERS + 1; // embed, 9 per layer, norm

  private static Path dir(String name) {
    return new Path(cluster.getURI().toString() + "/t/" + name + "-" + UUID.randomUUID());
  }

  // ---------------------------------------------------------------------------------------------
  // Model round trip
  // ---------------------------------------------------------------------------------------------

  @Test
  void shardedModelRoundTripsThroughHdfs() throws IOException {
    // The files are really on HDFS, with the names of reference/safetensors.md §3.1.
    TreeSet<String> names = new TreeSet<>();
    for (FileStatus s : dfs.listStatus(sharded)) {
      names.add(s.getPath().getName());
    }
    assertEquals(new TreeSet<>(List.of("config.json", "generation_config.json",
        "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors", "model.safetensors.index.json", "tokenizer.json",
        "tokenizer_config.json")), names);

    HfModel model = HfModel.open(cfs, sharded.toString());
    assertTrue(model.isDirectory());
    assertTrue(model.isSharded());
    assertEquals("hdfs", model.root().toUri().getScheme());
    assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
        "model-00003-of-00003.safetensors"), new ArrayList<>(model.shards().keySet()));

    ModelConfig config = model.config();
    assertNotNull(config);
    assertEquals("LlamaForCausalLM", config.architecture());
    assertEquals("llama", config.modelType());
    assertEquals(LAYERS, config.layerCount());
    assertTrue(config.tieWordEmbeddings());
    assertEquals(List.of("generation_config.json", "tokenizer.json", "tokenizer_config.json"),
        model.otherFiles());

    // 20 tensors dealt in module order to shards floor(j * 3 / 20): 7, 7 and 6 tensors.
    Map<String, TensorLocation> tensors = model.tensors();
    assertEquals(EXPECTED_TENSORS, tensors.size());
    assertEquals(7, model.shards().get("model-00001-of-00003.safetensors").tensors().size());
    assertEquals(7, model.shards().get("model-00002-of-00003.safetensors").tensors().size());
    assertEquals(6, model.shards().get("model-00003-of-00003.safetensors").tensors().size());
    assertShard(model, "model.embed_tokens.weight", "model-00001-of-00003.safetensors");
    assertShard(model, "model.layers.0.mlp.up_proj.weight", "model-00002-of-00003.safetensors");
    assertShard(model, "model.layers.1.mlp.down_proj.weight",
        "model-00003-of-00003.safetensors");
    assertShard(model, "model.norm.weight", "model-00003-of-00003.safetensors");

    assertShape(model, "model.embed_tokens.weight", VOCAB, HIDDEN);
    assertShape(model, "model.layers.1.self_attn.q_proj.weight", HIDDEN, HIDDEN);
    assertShape(model, "model.layers.1.self_attn.k_proj.weight", KV_DIM, HIDDEN);
    assertShape(model, "model.layers.0.self_attn.v_proj.weight", KV_DIM, HIDDEN);
    assertShape(model, "model.layers.0.mlp.gate_proj.weight", INTERMEDIATE, HIDDEN);
    assertShape(model, "model.layers.0.mlp.down_proj.weight", HIDDEN, INTERMEDIATE);
    assertShape(model, "model.layers.1.input_layernorm.weight", HIDDEN);
    assertShape(model, "model.norm.weight", HIDDEN);
    long params = 0;
    for (TensorLocation t : tensors.values()) {
      assertEquals(DType.BF16, t.info().dtype(), t.info().name());
      params += t.info().numel();
    }
    assertEquals(expectedParameters(), params);
    assertEquals(2 * expectedParameters(), model.totalTensorBytes());

    // The index was written with the totals and a weight map over all 20 tensors.
    JsonNode index = new ObjectMapper().readTree(
        readAll(new Path(sharded, "model.safetensors.index.json")));
    assertEquals(2 * expectedParameters(), index.get("metadata").get("total_size").asLong());
    assertEquals(EXPECTED_TENSORS, index.get("weight_map").size());

    // lm_head is not stored; tie_word_embeddings resolves it to the embedding.
    assertNull(tensors.get("lm_head.weight"));
    assertSame(tensors.get("model.embed_tokens.weight"), model.find("lm_head.weight"));
    assertSame(tensors.get("model.embed_tokens.weight"), model.require("lm_head.weight"));
    assertNull(model.find("model.layers.2.mlp.up_proj.weight"));

    // Every tensor's values read back from its shard on HDFS (all of them: 2.1 M elements).
    for (TensorLocation loc : tensors.values()) {
      try (SafetensorsFile f = SafetensorsFile.open(cfs, new Path(loc.file()))) {
        TensorInfo t = f.tensor(loc.info().name());
        assertEquals(loc.absoluteBegin(), f.header().dataStart() + t.begin());
        float[] dst = new float[(int) t.numel()];
        f.readFloats(t, 0, dst, 0, dst.length, null);
        assertNoMismatch(t.name(), 0, dst, 0, dst.length);
      }
    }
  }

  @Test
  void untiedSingleFileModelOnHdfs() {
    Path dir = dir("single");
    GeneratedModel.llama().layers(1).hidden(16).intermediate(40).vocab(50).heads(4, 4)
        .dtype(DType.F16).shards(1).tied(false).writeTo(cfs, dir);
    HfModel model = HfModel.open(cfs, dir.toString());
    assertFalse(model.isSharded());
    assertEquals(List.of("model.safetensors"), new ArrayList<>(model.shards().keySet()));
    assertFalse(model.config().tieWordEmbeddings());
    // embed, 9 layer tensors, norm, lm_head
    assertEquals(12, model.tensors().size());
    TensorLocation head = model.find("lm_head.weight");
    assertNotNull(head);
    assertEquals("lm_head.weight", head.info().name());
    assertArrayEquals(new long[] {50, 16}, head.info().shape());
    assertEquals(DType.F16, head.info().dtype());
    try (SafetensorsFile f = SafetensorsFile.open(cfs, new Path(head.file()))) {
      float[] dst = new float[800];
      f.readFloats(head.info(), 0, dst, 0, 800, null);
      for (int i = 0; i < 800; i++) {
        assertEquals(GeneratedModel.value("lm_head.weight", i, DType.F16), dst[i], "element " + i);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Chunked reads across HDFS block boundaries
  // ---------------------------------------------------------------------------------------------

  @Test
  void chunkedReadsAcrossBlockBoundaries() throws IOException {
    Path shard = new Path(sharded, "model-00001-of-00003.safetensors");
    String name = "model.embed_tokens.weight";
    long numel = (long) VOCAB * HIDDEN; // 2,099,200 elements, 4,198,400 bytes
    try (SafetensorsFile f = SafetensorsFile.open(cfs, shard)) {
      TensorInfo t = f.tensor(name);
      assertEquals(numel, t.numel());
      long absBegin = f.header().dataStart() + t.begin();
      long absEnd = absBegin + 2 * numel;

      // The tensor really lies in several 1 MiB blocks.
      FileStatus st = dfs.getFileStatus(shard);
      assertEquals(BLOCK, st.getBlockSize());
      BlockLocation[] blocks = dfs.getFileBlockLocations(st, absBegin, 2 * numel);
      assertTrue(blocks.length >= 4, "tensor spans " + blocks.length + " blocks");

      // 1. Odd chunk sizes over the whole tensor, one growing scratch buffer reused throughout.
      for (int chunk : new int[] {99_991, 524_289, 1_048_573}) {
        float[] dst = new float[chunk];
        ByteBuffer scratch = null;
        for (long start = 0; start < numel; start += chunk) {
          int n = (int) Math.min(chunk, numel - start);
          scratch = f.readFloats(t, start, dst, 0, n, scratch);
          assertNoMismatch(name, start, dst, 0, n);
        }
        assertNotNull(scratch);
      }

      // 2. A short read straddling every block boundary inside the tensor, into a dst offset.
      int boundaries = 0;
      for (long b = (absBegin / BLOCK + 1) * BLOCK; b < absEnd; b += BLOCK) {
        long boundaryElement = (b - absBegin) / 2; // BF16: 2 bytes, and absBegin is even
        for (int before : new int[] {1, 7, 4096}) {
          long start = Math.max(0, boundaryElement - before);
          int count = (int) (Math.min(numel, boundaryElement + before + 3) - start);
          assertTrue(start < boundaryElement && start + count > boundaryElement);
          float[] dst = new float[count + 5];
          f.readFloats(t, start, dst, 5, count, ByteBuffer.allocate(3));
          assertNoMismatch(name, start, dst, 5, count);
          assertEquals(0f, dst[0]);
          assertEquals(0f, dst[4]);
        }
        boundaries++;
      }
      assertEquals(blocks.length - 1, boundaries);

      // 3. TensorChunks: whole rows (256 elements) per chunk, 97 rows for a bound of 25,000.
      TensorChunks chunks = new TensorChunks(t.shape(), 25_000);
      assertEquals((VOCAB + 96) / 97, chunks.count()); // 8200 rows / 97 = 84.5 -> 85
      float[] dst = new float[chunks.maxLength()];
      ByteBuffer scratch = null;
      long next = 0;
      for (long i = 0; i < chunks.count(); i++) {
        assertEquals(next, chunks.start(i));
        int n = chunks.length(i);
        scratch = f.readFloats(t, chunks.start(i), dst, 0, n, scratch);
        assertNoMismatch(name, chunks.start(i), dst, 0, n);
        next += n;
      }
      assertEquals(numel, next);

      // 4. Reads past the tensor are refused, not served from the next tensor's bytes.
      assertThrows(IllegalArgumentException.class,
          () -> f.readFloats(t, numel - 10, new float[11], 0, 11, null));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors
  // ---------------------------------------------------------------------------------------------

  @Test
  void missingShardOnHdfsIsNamed() throws IOException {
    Path dir = dir("missing");
    GeneratedModel.llama().shards(3).writeTo(cfs, dir);
    assertTrue(dfs.delete(new Path(dir, "model-00002-of-00003.safetensors"), false));

    CheckpointException e = assertThrows(CheckpointException.class,
        () -> HfModel.open(cfs, dir.toString()));
    assertTrue(e.getMessage().contains("model-00002-of-00003.safetensors"), e.getMessage());
    assertFalse(e.getMessage().contains("model-00001-of-00003"), e.getMessage());

    // The CLI reports the same as a user error (exit 1), no stack trace.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"inspect", dir.toString()}, new PrintWriter(out),
        new PrintWriter(err));
    assertEquals(1, code, err.toString());
    assertTrue(err.toString().startsWith("error: "), err.toString());
    assertTrue(err.toString().contains("model-00002-of-00003.safetensors"), err.toString());
    assertFalse(err.toString().contains("\tat "), err.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // inspect on hdfs://
  // ---------------------------------------------------------------------------------------------

  @Test
  void inspectPrintsTensorsAndTotals() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"inspect", sharded.toString()}, new PrintWriter(out),
        new PrintWriter(err));
    assertEquals(0, code, err.toString());
    String text = out.toString();
    assertTrue(text.startsWith(sharded.toString() + "  (sharded model)"), text);
    assertTrue(text.contains("totals: " + EXPECTED_TENSORS + " tensors, "
        + String.format("%,d", expectedParameters()) + " parameters"), text);
    assertTrue(text.contains("layers: " + LAYERS), text);
    for (String n : new String[] {"model.embed_tokens.weight", "model.norm.weight",
        "model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight"}) {
      assertTrue(text.contains("  " + n + " "), n + " missing from:\n" + text);
    }
    // One line per tensor, each naming its shard.
    long tensorLines = text.lines().filter(l -> l.matches("  model\\.\\S+ +BF16 .*"
        + "model-0000[123]-of-00003\\.safetensors")).count();
    assertEquals(EXPECTED_TENSORS, tensorLines, text);
    assertTrue(text.lines().anyMatch(l -> l.matches("  model\\.embed_tokens\\.weight +BF16 +"
        + "\\[8200, 256\\] .*model-00001-of-00003\\.safetensors")), text);
  }

  @Test
  void inspectJsonParses() throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new String[] {"inspect", sharded.toString(), "--json"},
        new PrintWriter(out), new PrintWriter(err));
    assertEquals(0, code, err.toString());
    JsonNode r = new ObjectMapper().readTree(out.toString());
    assertEquals("sharded model", r.get("kind").asText());
    assertEquals(SHARDS, r.get("shards").size());
    assertEquals(LAYERS, r.get("layers").asInt());
    assertEquals("LlamaForCausalLM", r.get("config").get("architecture").asText());
    assertTrue(r.get("config").get("tie_word_embeddings").asBoolean());
    JsonNode totals = r.get("totals");
    assertEquals(EXPECTED_TENSORS, totals.get("tensors").asLong());
    assertEquals(expectedParameters(), totals.get("parameters").asLong());
    assertEquals(2 * expectedParameters(), totals.get("bytes").asLong());
    assertEquals(expectedParameters(), totals.get("by_dtype").get("BF16").get("parameters")
        .asLong());
    assertEquals(EXPECTED_TENSORS, r.get("tensors").size());
    long sum = 0;
    for (JsonNode t : r.get("tensors")) {
      long numel = 1;
      for (JsonNode d : t.get("shape")) {
        numel *= d.asLong();
      }
      assertEquals(2 * numel, t.get("bytes").asLong(), t.get("name").asText());
      sum += numel;
    }
    assertEquals(expectedParameters(), sum);
    TreeSet<String> other = new TreeSet<>();
    r.get("other_files").forEach(n -> other.add(n.asText()));
    assertEquals(new TreeSet<>(GeneratedModel.OTHER_FILES), other);

    StringWriter out2 = new StringWriter();
    assertEquals(0, Main.run(new String[] {"inspect", sharded.toString(), "--json",
        "--no-tensors"}, new PrintWriter(out2), new PrintWriter(new StringWriter())));
    JsonNode r2 = new ObjectMapper().readTree(out2.toString());
    assertNull(r2.get("tensors"));
    assertEquals(expectedParameters(), r2.get("totals").get("parameters").asLong());
  }

  // ---------------------------------------------------------------------------------------------
  // The writer's commit on HDFS
  // ---------------------------------------------------------------------------------------------

  @Test
  void writerCommitOnHdfs() throws Exception {
    Path dir = dir("writer");
    Path target = new Path(dir, "w.safetensors");
    // 600,000 F32 = 2.4 MB: three blocks.
    List<TensorSpec> first = List.of(new TensorSpec("a", DType.F32, new long[] {600, 1000}),
        new TensorSpec("b", DType.BF16, new long[] {7}));
    GeneratedModel.writeSafetensors(cfs, target, first);
    assertEquals(List.of("w.safetensors"), listNames(dir));
    assertTrue(dfs.getFileBlockLocations(target, 0, Long.MAX_VALUE).length >= 3);

    // The SHA-256 the writer reports is that of the bytes on HDFS.
    List<TensorSpec> second = List.of(new TensorSpec("c", DType.F32, new long[] {3, 5}));
    SafetensorsLayout layout2 = SafetensorsLayout.of(second, Map.of());
    Path other = new Path(dir, "other.safetensors");
    String sha = writeAll(other, layout2, false);
    assertEquals(sha256(other), sha);
    assertEquals(layout2.fileLength(), dfs.getFileStatus(other).getLen());
    assertEquals(List.of("other.safetensors", "w.safetensors"), listNames(dir));

    // overwrite=false onto the existing file: a clear error, old file intact, no temp left.
    String before = sha256(target);
    CheckpointException e = assertThrows(CheckpointException.class,
        () -> writeAll(target, layout2, false));
    assertTrue(e.getMessage().contains("w.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals(List.of("other.safetensors", "w.safetensors"), listNames(dir));
    assertEquals(before, sha256(target));
    try (SafetensorsFile f = SafetensorsFile.open(cfs, target)) {
      assertEquals(List.of("a", "b"), new ArrayList<>(f.header().tensors().keySet()));
      TensorInfo a = f.tensor("a");
      float[] dst = new float[600_000];
      f.readFloats(a, 0, dst, 0, dst.length, null);
      assertNoMismatch("a", DType.F32, 0, dst, 0, dst.length);
    }

    // overwrite=true replaces it.
    String sha2 = writeAll(target, layout2, true);
    assertEquals(sha, sha2); // same layout and values as other.safetensors
    assertEquals(sha, sha256(target));
    assertEquals(List.of("other.safetensors", "w.safetensors"), listNames(dir));

    // An abandoned writer leaves nothing behind.
    Path abandoned = new Path(dir, "abandoned.safetensors");
    try (SafetensorsWriter w = SafetensorsWriter.create(cfs, abandoned, layout2, false)) {
      w.writeFloats(new float[4], 0, 4);
    }
    assertEquals(List.of("other.safetensors", "w.safetensors"), listNames(dir));
  }

  /** Writes a layout's tensors with the generated values and commits; returns the SHA-256. */
  private static String writeAll(Path target, SafetensorsLayout layout, boolean overwrite) {
    try (SafetensorsWriter w = SafetensorsWriter.create(cfs, target, layout, overwrite)) {
      for (TensorInfo t : layout.tensors()) {
        float[] v = new float[(int) t.numel()];
        GeneratedModel.fill(t.name(), t.dtype(), 0, v, 0, v.length);
        w.writeFloats(v, 0, v.length);
      }
      return w.commit();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------

  private static List<String> listNames(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    for (FileStatus s : dfs.listStatus(dir)) {
      names.add(s.getPath().getName());
    }
    names.sort(null);
    return names;
  }

  private static byte[] readAll(Path p) throws IOException {
    try (InputStream in = dfs.open(p)) {
      return in.readAllBytes();
    }
  }

  /** SHA-256 of a file's bytes as HDFS serves them, computed independently of the writer. */
  private static String sha256(Path p) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    try (InputStream in = dfs.open(p)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void assertShard(HfModel model, String tensor, String shard) {
    TensorLocation loc = model.tensors().get(tensor);
    assertNotNull(loc, tensor);
    assertTrue(loc.file().startsWith("hdfs://"), loc.file());
    assertEquals(shard, new Path(loc.file()).getName(), tensor);
  }

  private static void assertShape(HfModel model, String tensor, long... shape) {
    assertArrayEquals(shape, model.tensors().get(tensor).info().shape(), tensor);
  }

  private static void assertNoMismatch(String name, long first, float[] got, int off, int n) {
    assertNoMismatch(name, DType.BF16, first, got, off, n);
  }

  private static void assertNoMismatch(String name, DType dtype, long first, float[] got, int off,
      int n) {
    long bad = GeneratedModel.firstMismatch(name, dtype, first, got, off, n);
    if (bad >= 0) {
      fail(name + ": element " + bad + " is " + got[off + (int) (bad - first)] + ", expected "
          + GeneratedModel.value(name, bad, dtype));
    }
  }
}
