package dev.sparkmerge.bench.e2e;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Starts one benchmark child ({@link MergeChild}, {@link GridChild}) in a fresh JVM with the
 * harness's JVM flags, echoes its output, and returns the numbers of its {@code E2E-RESULT
 * key=value ...} line plus {@code process_ms}, the child's wall time from fork to exit. A fresh
 * JVM per measurement keeps peak RSS, JIT state and the /proc/self/io counters its own.
 */
final class ChildJvm {
  static final String RESULT = "E2E-RESULT ";

  private ChildJvm() {}

  /**
   * @param label what the failure message and the echoed lines name, e.g. {@code merge}
   * @param jfr where to record a JFR profile, or null for none
   */
  static Map<String, Long> run(E2eBench.Options o, Class<?> main, List<String> args, String label,
      Path jfr) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(split(System.getProperty("bench.jvm.flags", "")));
    cmd.add("-Xmx" + o.xmx);
    String log4j = System.getProperty("bench.log4j", "conf/log4j2.properties");
    cmd.add("-Dlog4j2.configurationFile=" + Path.of(log4j).toAbsolutePath());
    if (jfr != null) {
      cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
      System.out.println("  JFR recording: " + jfr);
    }
    cmd.addAll(split(o.childOpts));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putIfAbsent("SPARK_LOCAL_IP", "127.0.0.1");
    long t0 = System.nanoTime();
    Process p = pb.start();
    String result = null;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith(RESULT)) {
          result = line;
        } else {
          System.out.println("  [" + label + "] " + line);
        }
      }
    }
    int code = p.waitFor();
    long wallMs = (System.nanoTime() - t0) / 1_000_000;
    if (code != 0 || result == null) {
      throw new IllegalStateException(main.getSimpleName() + " " + args.get(0)
          + ": the child JVM exited with " + code
          + (result == null ? " and no result line" : ""));
    }
    Map<String, Long> values = new HashMap<>();
    for (String kv : result.substring(RESULT.length()).split(" ")) {
      int eq = kv.indexOf('=');
      values.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
    }
    values.put("process_ms", wallMs);
    return values;
  }

  static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    for (String t : s.trim().split("\\s+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }
}
