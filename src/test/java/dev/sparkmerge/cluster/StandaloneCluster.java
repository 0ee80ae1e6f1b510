package dev.sparkmerge.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 made of separate JVMs — a Master and Workers started from
 * the Maven-resolved Spark jars, no Spark distribution — plus a stand-in for the distribution's
 * {@code bin/spark-submit}. Every process it starts (and everything those start: executors,
 * cluster-mode drivers) is stopped by {@link #close()}.
 *
 * <p>The Spark installation is a directory with {@code jars/} holding links to the jars spark-core
 * brings (listed by the build in {@code spark-jars.classpath}) and nothing of ours, so the cluster
 * jar has to carry what the job needs beyond Spark, as on a real cluster.
 */
final class StandaloneCluster implements AutoCloseable {
  /** Spark's own launcher looks for a Scala build directory unless told the version. */
  private static final String SCALA_VERSION = "2.13";

  private final Path root;
  private final Path sparkHome;
  private final List<String> jvmFlags;
  private final List<Process> started = Collections.synchronizedList(new ArrayList<>());
  private final List<Process> workers = new ArrayList<>();
  private final Map<String, Path> logs = new LinkedHashMap<>();
  private int masterPort;

  /**
   * @param root a fresh directory for the installation, work directories and logs
   * @param sparkJars the jars of the Spark installation
   * @param jvmFlags the Java 17 flags Spark needs (pom.xml's spark.jvm.flags)
   */
  StandaloneCluster(Path root, List<Path> sparkJars, List<String> jvmFlags) throws IOException {
    this.root = root;
    this.sparkHome = root.resolve("spark-home");
    this.jvmFlags = jvmFlags;
    // Also when the test JVM is told to stop (SIGTERM, e.g. a build timeout) before @AfterAll.
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "stop-standalone-cluster"));
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    for (Path jar : sparkJars) {
      Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
    }
    Path bin = Files.createDirectories(sparkHome.resolve("bin"));
    Path submit = bin.resolve("spark-submit");
    // What a distribution's bin/spark-submit -> bin/spark-class does: ask Spark's launcher for the
    // driver command line (it adds the module flags for client-mode drivers), then run it.
    Files.writeString(submit, String.join("\n",
        "#!/usr/bin/env bash",
        "# Stand-in for a Spark distribution's bin/spark-submit (written by StandaloneCluster).",
        "export SPARK_SCALA_VERSION=" + SCALA_VERSION,
        // The launcher prints messages line by line, then a NUL + newline marker, then the
        // command NUL-separated; a NUL-terminated exit code follows.
        "cmd=() delim=$'\\n' started=false",
        "while IFS= read -r -d \"$delim\" arg; do",
        "  if $started; then cmd+=(\"$arg\");",
        "  elif [ -z \"$arg\" ]; then delim='' started=true;",
        "  else echo \"$arg\"; fi",
        "done < <(java -Xmx128m -cp \"$SPARK_HOME/jars/*\" org.apache.spark.launcher.Main"
            + " org.apache.spark.deploy.SparkSubmit \"$@\"; printf '%d\\0' $?)",
        "last=$(( ${#cmd[@]} - 1 ))",
        "[ \"${cmd[$last]}\" = 0 ] || exit \"${cmd[$last]}\"",
        "exec \"${cmd[@]:0:$last}\"",
        ""), StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  Path sparkHome() {
    return sparkHome;
  }

  /** spark://127.0.0.1:port */
  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The environment every Spark process here gets. */
  Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", SCALA_VERSION);
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_LOCAL_DIRS", root.resolve("local").toString());
    env.put("SPARK_CONF_DIR", sparkHome.resolve("conf").toString()); // none: Spark's defaults
    return env;
  }

  /** Starts the Master and {@code workerCount} Workers and waits until all are registered. */
  void start(int workerCount, int coresPerWorker, String memoryPerWorker) throws Exception {
    masterPort = freePort();
    Process master = startDaemon("master", List.of("-Dspark.master.rest.enabled=false"),
        "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(masterPort), "--webui-port", String.valueOf(freePort()));
    for (int i = 0; i < workerCount; i++) {
      Path work = Files.createDirectories(root.resolve("work-" + i));
      workers.add(startDaemon("worker-" + i, List.of(), "org.apache.spark.deploy.worker.Worker",
          "--host", "127.0.0.1", "--port", String.valueOf(freePort()),
          "--webui-port", String.valueOf(freePort()), "--cores", String.valueOf(coresPerWorker),
          "--memory", memoryPerWorker, "--work-dir", work.toString(), masterUrl()));
    }
    await("the Master to become ALIVE", Duration.ofSeconds(60), master,
        () -> log("master").contains("ALIVE"));
    for (int i = 0; i < workerCount; i++) {
      String name = "worker-" + i;
      await(name + " to register", Duration.ofSeconds(60), workers.get(i),
          () -> log(name).contains("Successfully registered with master"));
    }
  }

  private Process startDaemon(String name, List<String> props, String mainClass, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    cmd.addAll(jvmFlags);
    cmd.add("-Xmx256m");
    cmd.addAll(props);
    cmd.add("-cp");
    cmd.add(sparkHome.resolve("jars") + File.separator + "*");
    cmd.add(mainClass);
    cmd.addAll(Arrays.asList(args));
    return start(name, cmd, Map.of());
  }

  /** Starts any command with this cluster's environment; output goes to {@link #logFile}. */
  Process start(String name, List<String> command, Map<String, String> extraEnv)
      throws IOException {
    Path log = root.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).directory(root.toFile());
    pb.environment().putAll(environment());
    pb.environment().putAll(extraEnv);
    logs.put(name, log);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  Path logFile(String name) {
    return logs.get(name);
  }

  /** The output so far of a process started here ("" if none yet). */
  String log(String name) {
    try {
      Path p = logs.get(name);
      return p == null || !Files.exists(p) ? "" : Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last lines of every log, for failure messages. */
  String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    for (String name : logs.keySet()) {
      List<String> all = log(name).lines().collect(Collectors.toList());
      sb.append("\n----- ").append(name).append(" (last ").append(lines).append(" lines) -----\n");
      all.subList(Math.max(0, all.size() - lines), all.size()).forEach(
          l -> sb.append(l).append('\n'));
    }
    // Executors' directories come and go while this walks them (a killed executor's are deleted):
    // a vanished file ends the walk with a note instead of failing the caller.
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.filter(f -> f.getFileName().toString().equals("stderr"))
          .sorted()::iterator) {
        List<String> all = Files.readAllLines(p);
        sb.append("\n----- ").append(root.relativize(p)).append(" -----\n");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(
            l -> sb.append(l).append('\n'));
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      sb.append("(cannot read work directories: ").append(e).append(")\n");
    }
    return sb.toString();
  }

  /** The Master, the Workers and everything they launched, alive now. */
  List<ProcessHandle> daemonsAndChildren() {
    List<ProcessHandle> all = new ArrayList<>();
    synchronized (started) {
      for (Process p : started) {
        if (p.isAlive()) {
          all.add(p.toHandle());
        }
        p.descendants().filter(ProcessHandle::isAlive).forEach(all::add);
      }
    }
    return all;
  }

  /** Executor JVMs the Workers launched that are running now. */
  List<ProcessHandle> executors() {
    List<ProcessHandle> out = new ArrayList<>();
    for (Process w : workers) {
      w.descendants().filter(h -> h.isAlive()
          && commandLine(h).contains("org.apache.spark.executor.CoarseGrainedExecutorBackend"))
          .forEach(out::add);
    }
    return out;
  }

  /** The full command line of a process (from /proc on Linux). */
  static String commandLine(ProcessHandle h) {
    Path cmdline = Path.of("/proc", String.valueOf(h.pid()), "cmdline");
    try {
      return new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException e) {
      return h.info().commandLine().orElse("");
    }
  }

  /**
   * Local addresses of the TCP sockets these processes listen on, from /proc/net/tcp{,6}: the
   * listening socket inodes of each process's file descriptors, matched against the tables.
   */
  static List<String> listeningAddresses(List<ProcessHandle> processes) throws IOException {
    Set<String> inodes = new HashSet<>();
    for (ProcessHandle h : processes) {
      Path fds = Path.of("/proc", String.valueOf(h.pid()), "fd");
      try (Stream<Path> s = Files.list(fds)) {
        for (Path fd : (Iterable<Path>) s::iterator) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              inodes.add(target.substring(8, target.length() - 1));
            }
          } catch (IOException e) {
            // closed meanwhile
          }
        }
      } catch (IOException e) {
        // the process ended meanwhile
      }
    }
    List<String> out = new ArrayList<>();
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        // f[1] local address (hex ip:port), f[3] state (0A = LISTEN), f[9] inode
        if (f[3].equals("0A") && inodes.contains(f[9])) {
          out.add(decodeAddress(f[1]));
        }
      }
    }
    return out;
  }

  /** /proc/net/tcp's "0100007F:1F90" (little-endian words) as "127.0.0.1:8080". */
  private static String decodeAddress(String hex) {
    String[] parts = hex.split(":");
    String ip = parts[0];
    byte[] b = new byte[ip.length() / 2];
    for (int word = 0; word < b.length / 4; word++) {
      for (int i = 0; i < 4; i++) {
        int at = word * 8 + (3 - i) * 2;
        b[word * 4 + i] = (byte) Integer.parseInt(ip.substring(at, at + 2), 16);
      }
    }
    try {
      return InetAddress.getByAddress(b).getHostAddress() + ":" + Integer.parseInt(parts[1], 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isLoopback(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    try {
      return InetAddress.getByName(host).isLoopbackAddress()
          // IPv4-mapped ::ffff:127.x
          || host.toLowerCase().startsWith("::ffff:127.") || host.startsWith("0:0:0:0:0:ffff:7f");
    } catch (IOException e) {
      return false;
    }
  }

  /** A TCP port free on 127.0.0.1 right now. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Waits for {@code condition}; fails early if {@code process} ends. */
  void await(String what, Duration timeout, Process process, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError("process ended (exit " + process.exitValue() + ") while waiting"
            + " for " + what + logTails(40));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what
            + logTails(40));
      }
      Thread.sleep(100);
    }
  }

  /**
   * Stops everything started here, newest first: SIGTERM (Workers then kill their executors and
   * drivers), up to 20 s grace, then SIGKILL for whatever is left, children included.
   */
  @Override
  public void close() {
    List<Process> all;
    synchronized (started) {
      all = new ArrayList<>(started);
      started.clear();
    }
    Collections.reverse(all);
    List<ProcessHandle> children = new ArrayList<>();
    for (Process p : all) {
      p.descendants().forEach(children::add);
    }
    for (Process p : all) {
      p.destroy();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (ProcessHandle h : children) {
      if (h.isAlive()) {
        h.destroyForcibly();
        h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
      }
    }
  }
}
