package dev.sparkmerge.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.GeneratedModel;
import dev.sparkmerge.testutil.TinyModel;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar on a real Spark standalone cluster: a Master and two Workers (separate JVMs on
 * 127.0.0.1, started from the Maven-resolved Spark jars), executors in their own JVMs, HDFS from a
 * MiniDFSCluster in this JVM. The job is submitted the way users do it, through
 * {@code scripts/submit} and a {@code bin/spark-submit}, and its output on HDFS is checked against
 * the manifest's checksums and, byte for byte, against a local-mode run of the same config.
 *
 * <p>The build puts the cluster jar and the Spark classpath in the build directory before the test
 * phase (pom.xml binds jar, shade and dependency:build-classpath to process-test-classes).
 * Skip locally with {@code -DexcludedGroups=cluster}; about 2 minutes on 2 cores.
 */
@Tag("cluster")
class SparkSubmitOnStandaloneTest {
  /** A small chunk size makes many reads per shard, so the write stage lasts long enough to kill
   * an executor in the middle of it. */
  private static final String CHUNK = "8KiB";

  private static Path work;
  private static MiniDFSCluster hdfs;
  private static DistributedFileSystem dfs;
  private static CheckpointFs cfs;
  private static StandaloneCluster spark;
  private static Path clusterJar;
  private static String hdfsRoot;
  private static String config;
  /** The local-mode run's output: file name -> bytes, for every file compared. */
  private static Map<String, byte[]> reference;

  @BeforeAll
  static void start() throws Exception {
    File buildDir = buildDir();
    assumeTrue(new File("/proc/self/cmdline").exists(), "needs Linux /proc");
    String flags = System.getProperty("sparkmerge.jvm.flags");
    assertNotNull(flags, "run through Maven: surefire passes sparkmerge.jvm.flags");
    clusterJar = clusterJar(buildDir);
    List<Path> sparkJars = Arrays.stream(Files.readString(
            buildDir.toPath().resolve("spark-jars.classpath")).trim().split(File.pathSeparator))
        .map(Path::of).collect(Collectors.toList());
    work = Files.createDirectories(buildDir.toPath().resolve("cluster-test-" + UUID.randomUUID()));

    long t0 = System.nanoTime();
    spark = new StandaloneCluster(work, sparkJars, Arrays.asList(flags.trim().split("\\s+")));
    // Workers: 2 cores and 1536 MiB each: a 1 GiB executor, plus room for a 512 MiB driver in
    // cluster deploy mode.
    Thread clusterStart = new Thread(() -> {
      try {
        spark.start(2, 2, "1536m");
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    final Throwable[] startFailure = new Throwable[1];
    clusterStart.setUncaughtExceptionHandler((t, e) -> startFailure[0] = e);
    clusterStart.start();

    try {
      startHdfs();
      writeModels();
    } finally {
      clusterStart.join(); // so that stop() sees every process the cluster started
    }
    if (startFailure[0] != null) {
      throw new AssertionError("cluster did not start", startFailure[0]);
    }
    log("HDFS, models and cluster ready in %.1f s", secondsSince(t0));
    List<String> listening = StandaloneCluster.listeningAddresses(spark.daemonsAndChildren());
    assertFalse(listening.isEmpty());
    assertTrue(listening.stream().allMatch(StandaloneCluster::isLoopback),
        "Master/Workers listen beyond loopback: " + listening);

    // The reference: the same config on an embedded Spark (local[*]) in a plain JVM with the
    // cluster jar and Spark's jars on the classpath.
    t0 = System.nanoTime();
    String out = hdfsRoot + "/out/local";
    runLocally("local-run", config, out);
    log("local-mode run: %.1f s", secondsSince(t0));
    reference = checkedOutput(out);
  }

  /**
   * {@code sparkmerge run} on an embedded Spark (local[*]) in a plain JVM with the cluster jar and
   * Spark's jars on the classpath: the reference the cluster runs must match.
   */
  private static void runLocally(String name, String cfg, String out) throws Exception {
    String flags = System.getProperty("sparkmerge.jvm.flags");
    List<String> cmd = new ArrayList<>();
    cmd.add(StandaloneCluster.javaExecutable());
    cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
    cmd.addAll(List.of("-Xmx1g", "-cp", clusterJar + File.pathSeparator
        + spark.sparkHome().resolve("jars") + File.separator + "*", "dev.sparkmerge.cli.Main",
        "run", "--quiet", "--chunk-size", CHUNK, "--conf", "spark.hadoop.dfs.replication=1",
        cfg, out));
    Process local = spark.start(name, cmd, Map.of());
    assertEquals(0, waitFor(local, 300), () -> name + " failed:\n" + spark.log(name));
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.close();
    }
    if (hdfs != null) {
      hdfs.shutdown(true);
    }
  }

  @Test
  void clientModeMatchesTheLocalRun() throws Exception {
    String out = hdfsRoot + "/out/client";
    long t0 = System.nanoTime();
    Process submit = submit("submit-client", out, "client");
    assertEquals(0, waitFor(submit, 300), () -> "client-mode submit failed" + spark.logTails(60));
    log("client mode: %.1f s", secondsSince(t0));
    assertSameAsReference(checkedOutput(out));
    String log = spark.log("submit-client");
    assertTrue(log.contains(spark.masterUrl()), "not submitted to the standalone Master:\n" + log);
  }

  @Test
  void killedExecutorDuringTheWriteStageStillGivesIdenticalOutput() throws Exception {
    String out = hdfsRoot + "/out/fault";
    long t0 = System.nanoTime();
    Process submit = submit("submit-fault", out, "client");
    // The write stage has started when the first shard's temporary file appears.
    org.apache.hadoop.fs.Path outPath = new org.apache.hadoop.fs.Path(out);
    spark.await("the write stage", java.time.Duration.ofSeconds(240), submit,
        () -> !inProgressFiles(outPath).isEmpty());
    long stageSeen = System.nanoTime();
    List<ProcessHandle> executors = spark.executors();
    assertEquals(2, executors.size(), "executors running: " + executors);

    // While the application runs: every listener of the driver and executors is on loopback.
    List<ProcessHandle> appProcesses = new ArrayList<>(spark.daemonsAndChildren());
    appProcesses.add(submit.toHandle());
    submit.descendants().forEach(appProcesses::add);
    List<String> listening = StandaloneCluster.listeningAddresses(appProcesses);
    assertFalse(listening.isEmpty(), "no listening sockets found for " + appProcesses);
    assertTrue(listening.stream().allMatch(StandaloneCluster::isLoopback),
        "the application listens beyond loopback: " + listening);

    ProcessHandle victim = executors.get(0);
    assertTrue(victim.destroyForcibly(), "could not kill executor " + victim.pid());
    victim.onExit().get(30, TimeUnit.SECONDS);
    log("%d listening sockets of driver, executors and daemons, all on loopback; killed"
        + " executor pid %d %.1f s after submit (%d temp file(s) in the output)",
        listening.size(), victim.pid(), (stageSeen - t0) / 1e9, inProgressFiles(outPath).size());

    // Log tails only on failure: collecting them walks directories the cluster is deleting.
    assertEquals(0, waitFor(submit, 300), () -> "submit failed after the executor was killed"
        + spark.logTails(80));
    log("fault run: %.1f s", secondsSince(t0));
    String log = spark.log("submit-fault");
    assertTrue(log.contains("ExecutorLostFailure"),
        "no task was lost with the executor; was the write stage already over?\n" + log);
    assertSameAsReference(checkedOutput(out));
    assertTrue(inProgressFiles(outPath).isEmpty(), "temporary files left behind");
  }

  @Test
  void clusterDeployModeMatchesTheLocalRun() throws Exception {
    String out = hdfsRoot + "/out/cluster-mode";
    long t0 = System.nanoTime();
    Process submit = submit("submit-cluster", out, "cluster");
    int code = waitFor(submit, 300);
    log("cluster deploy mode: %.1f s", secondsSince(t0));
    assertEquals(0, code, () -> "cluster-mode submit failed" + spark.logTails(60));
    assertTrue(spark.log("submit-cluster").contains("FINISHED"),
        () -> "the driver did not finish:" + spark.logTails(60));
    assertSameAsReference(checkedOutput(out));
  }

  /**
   * {@code output: adapter} on the cluster: the modules are combined in executor tasks, the
   * driver writes one PEFT adapter — the same bytes as the embedded run.
   */
  @Test
  void adapterOutputCombinedInExecutorTasksMatchesTheLocalRun() throws Exception {
    String cfg = writeAdapters();
    String local = hdfsRoot + "/out/adapter-local";
    long t0 = System.nanoTime();
    runLocally("adapter-local", cfg, local);
    log("adapter output, local mode: %.1f s", secondsSince(t0));
    String remote = hdfsRoot + "/out/adapter-client";
    t0 = System.nanoTime();
    Process submit = submit("adapter-client", cfg, remote, "client");
    assertEquals(0, waitFor(submit, 300), () -> "adapter submit failed" + spark.logTails(60));
    log("adapter output, client mode: %.1f s", secondsSince(t0));
    assertTrue(spark.log("adapter-client").contains(spark.masterUrl()),
        "not submitted to the standalone Master");
    for (String f : new String[] {"adapter_model.safetensors", "adapter_config.json",
        "_SUCCESS"}) {
      assertArrayEquals(readAll(new org.apache.hadoop.fs.Path(local, f)),
          readAll(new org.apache.hadoop.fs.Path(remote, f)), f);
    }
    assertTrue(readAll(new org.apache.hadoop.fs.Path(remote, "adapter_model.safetensors")).length
        > 16 * 4 * 256 * 4, "every module's factors written");
  }

  /**
   * A grid with {@code evaluate:} and {@code select:} on the cluster: the tiny-llama adapters and
   * task files on HDFS, candidates and inputs scored in executor tasks (the tokenizer's native
   * library loaded from the cluster jar, nothing downloaded), the same scores and winner as the
   * embedded run.
   */
  @Test
  void evaluatedGridOnTheClusterScoresAsTheLocalRun() throws Exception {
    String cfg = writeEvaluatedGrid();
    String local = hdfsRoot + "/out/eval-local";
    long t0 = System.nanoTime();
    runLocally("eval-local", cfg, local);
    log("evaluated grid, local mode: %.1f s", secondsSince(t0));
    String remote = hdfsRoot + "/out/eval-client";
    t0 = System.nanoTime();
    Process submit = submit("eval-client", cfg, remote, "client");
    assertEquals(0, waitFor(submit, 300), () -> "eval submit failed" + spark.logTails(60));
    log("evaluated grid, client mode: %.1f s", secondsSince(t0));
    JsonNode want = new ObjectMapper().readTree(readAll(new org.apache.hadoop.fs.Path(local,
        "eval.json")));
    JsonNode got = new ObjectMapper().readTree(readAll(new org.apache.hadoop.fs.Path(remote,
        "eval.json")));
    assertEquals(4, got.get("models").size(), "two candidates, the base and one input");
    assertEquals(want, got, "scores, ranks and eval keys as in the embedded run");
    assertArrayEquals(readAll(new org.apache.hadoop.fs.Path(local, "best.json")),
        readAll(new org.apache.hadoop.fs.Path(remote, "best.json")));
  }

  /** tiny-llama base, one adapter and three small task files on HDFS; a 2-candidate grid. */
  private static String writeEvaluatedGrid() throws IOException {
    Path models = Path.of(System.getProperty("sparkmerge.models"));
    for (String m : new String[] {"tiny-llama-base", "tiny-llama-lora-add"}) {
      dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(models.resolve(m).toUri()),
          new org.apache.hadoop.fs.Path(hdfsRoot + "/tiny/" + m));
    }
    for (String t : new String[] {"add", "choice", "text"}) {
      dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(
          models.resolve("../eval/tiny-tasks/" + t + ".jsonl").toUri()),
          new org.apache.hadoop.fs.Path(hdfsRoot + "/tasks/" + t + ".jsonl"));
    }
    String tiny = hdfsRoot + "/tiny/";
    String yaml = "merge_method: linear\nbase_model: " + tiny + "tiny-llama-base\nmodels:\n"
        + "  - model: " + tiny + "tiny-llama-base\n"
        + "  - model: " + tiny + "tiny-llama-base+" + tiny + "tiny-llama-lora-add\n"
        + "parameters: {weight: 1.0}\ndtype: float32\ngrid:\n  normalize: [true, false]\n"
        + "evaluate: {tasks: [" + hdfsRoot + "/tasks], max_examples: 6, include_inputs: true}\n"
        + "select: {metric: add.loss}\n";
    String cfg = hdfsRoot + "/jobs/eval-grid.yml";
    try (FSDataOutputStream o = dfs.create(new org.apache.hadoop.fs.Path(cfg), false)) {
      o.write(yaml.getBytes(StandardCharsets.UTF_8));
    }
    return cfg;
  }

  /**
   * Three rank-4 LoRA adapters of the base (q/v/up/down projections of every layer, salted
   * values) and a ties_svd config that combines them into one adapter.
   */
  private static String writeAdapters() throws IOException {
    GeneratedModel m = shape();
    List<String> adapters = new ArrayList<>();
    for (String salt : new String[] {"lora-a", "lora-b", "lora-c"}) {
      String dir = hdfsRoot + "/adapters/" + salt;
      List<TensorSpec> specs = new ArrayList<>();
      for (TensorSpec t : m.tensors()) {
        String n = t.name();
        if (n.matches("model\\.layers\\.\\d+\\.(self_attn\\.[qv]_proj|mlp\\.(up|down)_proj)"
            + "\\.weight")) {
          String module = "base_model.model." + n.substring(0, n.length() - ".weight".length());
          specs.add(new TensorSpec(module + ".lora_A.weight", DType.F32,
              new long[] {4, t.shape()[1]}));
          specs.add(new TensorSpec(module + ".lora_B.weight", DType.F32,
              new long[] {t.shape()[0], 4}));
        }
      }
      writeSalted(new org.apache.hadoop.fs.Path(dir, "adapter_model.safetensors"), specs, salt);
      try (FSDataOutputStream o = dfs.create(new org.apache.hadoop.fs.Path(dir,
          "adapter_config.json"), false)) {
        o.write(("{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 8, \"target_modules\":"
            + " [\"q_proj\", \"v_proj\", \"up_proj\", \"down_proj\"]}")
            .getBytes(StandardCharsets.UTF_8));
      }
      adapters.add(dir);
    }
    StringBuilder yaml = new StringBuilder("merge_method: ties\nbase_model: " + hdfsRoot
        + "/models/base\nparameters: {density: 0.5}\nmodels:\n");
    double[] weights = {1.0, 0.5, 0.75};
    for (int i = 0; i < adapters.size(); i++) {
      yaml.append("  - model: ").append(hdfsRoot).append("/models/base+").append(adapters.get(i))
          .append("\n    parameters: {weight: ").append(weights[i]).append("}\n");
    }
    yaml.append("output: {type: adapter, combination: ties_svd, rank: 4}\n");
    String cfg = hdfsRoot + "/jobs/adapters.yml";
    try (FSDataOutputStream o = dfs.create(new org.apache.hadoop.fs.Path(cfg), false)) {
      o.write(yaml.toString().getBytes(StandardCharsets.UTF_8));
    }
    return cfg;
  }

  // ---------------------------------------------------------------------------------------------

  /** scripts/submit CONFIG OUT [spark-submit options] -- [run options], as a user would. */
  private static Process submit(String name, String out, String deployMode) throws IOException {
    return submit(name, config, out, deployMode);
  }

  private static Process submit(String name, String cfg, String out, String deployMode)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash",
        projectDir().resolve("scripts/submit").toString(), cfg, out,
        "--master", spark.masterUrl(), "--deploy-mode", deployMode,
        "--executor-memory", "1g", "--executor-cores", "1", "--total-executor-cores", "2",
        "--driver-memory", "512m",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.hadoop.dfs.replication=1",
        "--conf", "spark.standalone.submit.waitAppCompletion=true",
        "--", "--chunk-size", CHUNK));
    return spark.start(name, cmd, Map.of("SPARKMERGE_JAR", clusterJar.toString()));
  }

  private static int waitFor(Process p, int seconds) throws InterruptedException {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("still running after " + seconds + " s" + spark.logTails(60));
    }
    return p.exitValue();
  }

  /**
   * Checks a finished output directory on HDFS — _SUCCESS present, no temporary files, every shard
   * the length and SHA-256 that merge-manifest.json records — and returns the files to compare.
   */
  private static Map<String, byte[]> checkedOutput(String dir) throws Exception {
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir);
    assertTrue(dfs.exists(new org.apache.hadoop.fs.Path(root, "_SUCCESS")), dir + ": no _SUCCESS");
    assertTrue(inProgressFiles(root).isEmpty(), dir + ": temporary files left");
    Map<String, byte[]> files = new TreeMap<>();
    for (FileStatus st : dfs.listStatus(root)) {
      String name = st.getPath().getName();
      if (name.endsWith(".safetensors") || name.equals("model.safetensors.index.json")
          || name.equals("merge-manifest.json") || name.equals("config.json")) {
        files.put(name, readAll(st.getPath()));
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(files.get("merge-manifest.json"));
    JsonNode shards = manifest.get("shards");
    assertTrue(shards.size() > 1, "expected a multi-shard output: " + manifest);
    long shardFiles = files.keySet().stream().filter(n -> n.endsWith(".safetensors")).count();
    assertEquals(shards.size(), shardFiles);
    for (JsonNode s : shards) {
      byte[] bytes = files.get(s.get("file").asText());
      assertNotNull(bytes, "manifest names a missing shard: " + s);
      assertEquals(s.get("length").asLong(), bytes.length, s.toString());
      assertEquals(s.get("sha256").asText(), HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(bytes)), s.toString());
    }
    return files;
  }

  private static void assertSameAsReference(Map<String, byte[]> got) {
    assertEquals(reference.keySet(), got.keySet());
    for (Map.Entry<String, byte[]> e : reference.entrySet()) {
      assertArrayEquals(e.getValue(), got.get(e.getKey()), e.getKey() + " differs");
    }
  }

  private static List<String> inProgressFiles(org.apache.hadoop.fs.Path dir) {
    try {
      if (!dfs.exists(dir)) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (FileStatus st : dfs.listStatus(dir)) {
        if (st.getPath().getName().contains(".inprogress-")) {
          names.add(st.getPath().getName());
        }
      }
      return names;
    } catch (IOException e) {
      return List.of();
    }
  }

  private static byte[] readAll(org.apache.hadoop.fs.Path p) throws IOException {
    try (InputStream in = dfs.open(p)) {
      return in.readAllBytes();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HDFS and the models
  // ---------------------------------------------------------------------------------------------

  private static void startHdfs() throws IOException {
    File base = work.resolve("minidfs").toFile();
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    conf.setLong("dfs.blocksize", 1 << 20);
    conf.setLong("dfs.namenode.fs-limits.min-block-size", 4096);
    conf.setInt("dfs.replication", 1);
    for (String key : new String[] {"dfs.namenode.http-address", "dfs.namenode.https-address",
        "dfs.datanode.address", "dfs.datanode.http.address", "dfs.datanode.https.address",
        "dfs.datanode.ipc.address"}) {
      conf.set(key, "127.0.0.1:0");
    }
    hdfs = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).build();
    hdfs.waitActive();
    assertTrue(InetAddress.getByName(hdfs.getURI().getHost()).isLoopbackAddress(),
        "NameNode must be on loopback: " + hdfs.getURI());
    dfs = hdfs.getFileSystem();
    cfs = new CheckpointFs(hdfs.getConfiguration(0));
    hdfsRoot = hdfs.getURI().toString();
  }

  /** A Llama-shaped model in 3 shards (1 MiB blocks, so tensors span blocks), about 7 MB. */
  private static GeneratedModel shape() {
    return GeneratedModel.llama().layers(4).hidden(256).intermediate(688).vocab(4096)
        .heads(8, 2).dtype(DType.BF16).shards(3).tied(true);
  }

  /** A base and two fine-tunes of it whose weights differ (salted values), and a TIES config. */
  private static void writeModels() throws IOException {
    long t0 = System.nanoTime();
    for (String salt : new String[] {"base", "ft-a", "ft-b"}) {
      org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(hdfsRoot + "/models/" + salt);
      GeneratedModel m = shape();
      m.writeTo(cfs, dir); // config, index, tokenizer files; shards replaced below
      Map<String, String> weightMap = m.weightMap();
      for (String file : m.shardFiles()) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(dir, file);
        assertTrue(dfs.delete(p, false));
        List<TensorSpec> specs = m.tensors().stream()
            .filter(s -> weightMap.get(s.name()).equals(file)).collect(Collectors.toList());
        writeSalted(p, specs, salt);
      }
    }
    config = hdfsRoot + "/jobs/ties.yml";
    String yaml = "merge_method: ties\n"
        + "base_model: " + hdfsRoot + "/models/base\n"
        + "models:\n"
        + "  - model: " + hdfsRoot + "/models/ft-a\n"
        + "    parameters: {weight: 1.0, density: 0.5}\n"
        + "  - model: " + hdfsRoot + "/models/ft-b\n"
        + "    parameters: {weight: [0.3, 0.7], density: 0.5}\n"
        + "parameters: {normalize: true}\n"
        + "dtype: bfloat16\n";
    try (FSDataOutputStream o = dfs.create(new org.apache.hadoop.fs.Path(config), false)) {
      o.write(yaml.getBytes(StandardCharsets.UTF_8));
    }
    log("models written to HDFS in %.1f s", secondsSince(t0));
  }

  /** Values TinyModel.value(salt, name, i): multiples of 1/128 in [-1, 1], exact in BF16. */
  private static void writeSalted(org.apache.hadoop.fs.Path file, List<TensorSpec> specs,
      String salt) {
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    float[] buf = new float[1 << 16];
    try (SafetensorsWriter w = SafetensorsWriter.create(cfs, file, layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        for (long done = 0; done < t.numel(); ) {
          int n = (int) Math.min(buf.length, t.numel() - done);
          for (int i = 0; i < n; i++) {
            buf[i] = TinyModel.value(salt, t.name(), done + i);
          }
          w.writeFloats(buf, 0, n);
          done += n;
        }
      }
      w.commit();
    }
  }

  @Test
  void theMergeChangedTheWeights() {
    // Guards against a vacuous comparison: the merged model is neither the base nor a fine-tune.
    String name = "model.layers.1.mlp.up_proj.weight";
    float[] merged = read(hdfsRoot + "/out/local", name);
    for (String salt : new String[] {"base", "ft-a", "ft-b"}) {
      assertFalse(Arrays.equals(merged, read(hdfsRoot + "/models/" + salt, name)), salt);
    }
  }

  private static float[] read(String model, String tensor) {
    TensorLocation loc = HfModel.open(cfs, model).require(tensor);
    try (SafetensorsFile f = SafetensorsFile.open(cfs, new org.apache.hadoop.fs.Path(loc.file()))) {
      float[] v = new float[(int) loc.info().numel()];
      f.readFloats(loc.info(), 0, v, 0, v.length, null);
      return v;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** The build directory: the parent of test-classes (target/ or -Dsparkmerge.build.dir). */
  private static File buildDir() throws Exception {
    return new File(SparkSubmitOnStandaloneTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI()).getParentFile();
  }

  private static Path projectDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
  }

  /** The shaded jar the build made before the test phase (not the thin original-*.jar). */
  private static Path clusterJar(File buildDir) {
    File[] jars = buildDir.listFiles((d, n) -> n.startsWith("sparkmerge-") && n.endsWith(".jar")
        && !n.matches(".*-(sources|javadoc|tests)\\.jar"));
    assertTrue(jars != null && jars.length == 1, "expected one cluster jar in " + buildDir
        + " (built in process-test-classes): " + Arrays.toString(jars));
    return jars[0].toPath();
  }

  private static double secondsSince(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static void log(String format, Object... args) {
    System.out.println("[cluster test] " + String.format(format, args));
  }
}
