package dev.sparkmerge.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the user's own evaluation command for one model (the config's {@code evaluate.command}):
 * placeholders such as {@code {model}} are replaced in every argument, the process runs with a
 * time limit, and the last non-empty line of its standard output must be a JSON object of numbers,
 * which becomes that model's {@code command.*} scores. A non-zero exit, a last line that is not
 * such an object, or the time limit: an {@link EvalException} with the tail of standard error.
 */
public final class CommandEvaluation {
  /** How much of standard error a failure message quotes. */
  static final int STDERR_TAIL_BYTES = 2000;
  private static final int STDOUT_KEEP_BYTES = 1 << 20;

  private CommandEvaluation() {}

  /**
   * Runs {@code command} with {@code placeholders} (e.g. "{model}" → a directory) substituted.
   *
   * @return the numbers of the JSON object on the last line of standard output, by key (sorted)
   */
  public static Map<String, Double> run(List<String> command, Map<String, String> placeholders,
      long timeoutSeconds) {
    List<String> args = new ArrayList<>();
    for (String a : command) {
      for (Map.Entry<String, String> p : placeholders.entrySet()) {
        a = a.replace(p.getKey(), p.getValue());
      }
      args.add(a);
    }
    String shown = String.join(" ", args);
    Process process;
    try {
      process = new ProcessBuilder(args).redirectInput(ProcessBuilder.Redirect.PIPE).start();
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new EvalException("evaluate.command: cannot start '" + shown + "': " + e.getMessage()
          + ". Check that the program exists on every executor and is executable.");
    }
    Tail stdout = Tail.drain(process.getInputStream(), STDOUT_KEEP_BYTES);
    Tail stderr = Tail.drain(process.getErrorStream(), STDERR_TAIL_BYTES);
    boolean finished;
    try {
      finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      kill(process);
      Thread.currentThread().interrupt();
      throw new EvalException("evaluate.command '" + shown + "' was interrupted.");
    }
    if (!finished) {
      kill(process);
      throw new EvalException("evaluate.command '" + shown + "' did not finish within "
          + timeoutSeconds + " s (evaluate.timeout) and was killed." + stderr.quoted());
    }
    String out = stdout.text();
    String err = stderr.quoted();
    if (process.exitValue() != 0) {
      throw new EvalException("evaluate.command '" + shown + "' exited with status "
          + process.exitValue() + "." + err);
    }
    return parseLastLine(out, shown, err);
  }

  static Map<String, Double> parseLastLine(String stdout, String shown, String stderrQuoted) {
    String last = "";
    for (String line : stdout.split("\n")) {
      if (!line.isBlank()) {
        last = line.trim();
      }
    }
    String expect = " The last line of its standard output must be a JSON object of numbers,"
        + " e.g. {\"accuracy\": 0.71}.";
    JsonNode node;
    try {
      node = new ObjectMapper().readTree(last);
    } catch (IOException e) {
      node = null;
    }
    if (node == null || !node.isObject() || node.isEmpty()) {
      throw new EvalException("evaluate.command '" + shown + "' printed "
          + (last.isEmpty() ? "nothing" : "'" + abbreviate(last) + "' last") + "." + expect
          + stderrQuoted);
    }
    Map<String, Double> scores = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isNumber()) {
        throw new EvalException("evaluate.command '" + shown + "': key '" + e.getKey()
            + "' of its last line is " + e.getValue() + ", not a number." + expect);
      }
      scores.put(e.getKey(), e.getValue().doubleValue());
    }
    return scores;
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** The command may have started children (a shell script's python): stop them all. */
  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads a stream to its end on a thread of its own, keeping its last bytes. */
  private static final class Tail {
    private final byte[] ring;
    private long total;
    private final Thread reader;

    private Tail(InputStream in, int keep) {
      ring = new byte[keep];
      reader = new Thread(() -> pump(in), "command-output");
      reader.setDaemon(true);
      reader.start();
    }

    static Tail drain(InputStream in, int keep) {
      return new Tail(in, keep);
    }

    private void pump(InputStream in) {
      byte[] buf = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buf)) > 0;) {
          synchronized (this) {
            for (int i = 0; i < n; i++) {
              ring[(int) (total++ % ring.length)] = buf[i];
            }
          }
        }
      } catch (IOException e) {
        // the process was killed: what was read so far is the tail
      }
    }

    /** The kept tail, once the stream has ended (or after 5 s: a killed child's pipe). */
    String text() {
      try {
        reader.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return snapshot();
    }

    private synchronized String snapshot() {
      int n = (int) Math.min(total, ring.length);
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        out[i] = ring[(int) ((total - n + i) % ring.length)];
      }
      return new String(out, StandardCharsets.UTF_8);
    }

    String quoted() {
      String t = text().strip();
      return t.isEmpty() ? " (nothing on standard error)"
          : " Standard error ended with:\n" + t;
    }
  }
}
