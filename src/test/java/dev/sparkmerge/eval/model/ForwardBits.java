package dev.sparkmerge.eval.model;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The exact bits of small models' logits, as a SHA-256 per model: computed in the test JVM and,
 * by {@link #main}, in child JVMs with other JIT tiers, vector widths or the scalar kernels
 * ({@link ForwardDeterminismTest}). The models cover SiLU and GELU, grouped-query attention,
 * a sliding window and softmax lengths with and without vector tails.
 */
final class ForwardBits {
  /** Tokens per sequence: softmax lengths 1 .. 60 and LM-head rows in more than one block. */
  static final int TOKENS = 60;

  private ForwardBits() {}

  /** Model name → hex SHA-256 of all logits of one append of {@link #TOKENS} tokens. */
  static Map<String, String> digests() {
    return digests(models().keySet());
  }

  /** {@link #digests()} of the named models only. */
  static Map<String, String> digests(java.util.Collection<String> names) {
    Map<String, String> out = new LinkedHashMap<>();
    models().forEach((name, m) -> {
      if (names.contains(name)) {
        out.put(name, digest(logits(m, new int[] {TOKENS})));
      }
    });
    return out;
  }

  static Map<String, TestModels.Model> models() {
    Map<String, TestModels.Model> m = new LinkedHashMap<>();
    m.put("llama", TestModels.llama("llama", 11, c -> { }));
    m.put("mistral-window", TestModels.llama("mistral", 12, c -> c.put("sliding_window", 23)));
    m.put("gpt2", TestModels.gpt2("transformer.", 13, c -> { }));
    return m;
  }

  /** Logits of every position, the tokens appended in pieces of the given sizes. */
  static float[][] logits(TestModels.Model m, int[] pieces) {
    CausalLm lm = CausalLms.fromWeights(m.config, m.weights);
    int[] tokens = LogitChecks.tokens(TOKENS, lm.vocabSize(), 5);
    float[][] out = new float[TOKENS][];
    CausalLm.Sequence s = lm.start(TOKENS);
    int done = 0;
    for (int piece : pieces) {
      int[] part = java.util.Arrays.copyOfRange(tokens, done, done + piece);
      int base = done;
      s.append(part, piece, 0, (i, l) -> out[base + i] = l.clone());
      done += piece;
    }
    return out;
  }

  static String digest(float[][] rows) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      ByteBuffer b = ByteBuffer.allocate(4);
      for (float[] row : rows) {
        for (float v : row) {
          b.clear();
          sha.update(b.putInt(Float.floatToRawIntBits(v)).array());
        }
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Prints "name digest" per model (the models named in the arguments, or all). With {@code
   * --warm SECONDS} first, repeats the forwards for that long (CPU time) so the JIT compiles the
   * kernels with C2, and prints "CHANGED" if any repetition's bits differ from the first (cold)
   * one's.
   */
  public static void main(String[] args) {
    boolean warm = args.length >= 2 && args[0].equals("--warm");
    java.util.List<String> names = java.util.List.of(args).subList(warm ? 2 : 0, args.length);
    java.util.Set<String> chosen = names.isEmpty() ? models().keySet() : Set.copyOf(names);
    Map<String, String> first = digests(chosen);
    if (warm) {
      java.lang.management.ThreadMXBean t =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long end = t.getCurrentThreadCpuTime() + (long) (Double.parseDouble(args[1]) * 1e9);
      while (t.getCurrentThreadCpuTime() < end) {
        Map<String, String> again = digests(chosen);
        if (!again.equals(first)) {
          System.out.println("CHANGED " + first + " -> " + again);
          first = again;
        }
      }
    }
    System.out.println("# MatMul: " + MatMul.kernel());
    first.forEach((name, d) -> System.out.println(name + " " + d));
  }
}
