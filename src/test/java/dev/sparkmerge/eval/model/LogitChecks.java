package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Running a production model over a token sequence and comparing its logits with others. */
final class LogitChecks {
  /**
   * Tolerance for float32 logits against the float64 reference, relative to the largest
   * reference logit: float32 keeps 2^-24 ≈ 6e-8 relative per operation; dot products of a few
   * hundred terms through a few layers stay below 1e-6 in practice, so 1e-5 leaves margin
   * while catching any real error (a wrong mask, RoPE or scale moves logits by 1e-2 or more).
   */
  static final double RELATIVE_TOLERANCE = 1e-5;

  private LogitChecks() {}

  /** Logits of every position, from one append of the whole sequence. */
  static float[][] run(CausalLm model, int[] tokens) {
    float[][] out = new float[tokens.length][];
    CausalLm.Sequence s = model.start(tokens.length);
    s.append(tokens, tokens.length, 0, (i, l) -> out[i] = l.clone());
    assertEquals(tokens.length, s.length());
    return out;
  }

  /** Asserts every row was produced and agrees with the reference; returns max |diff| / scale. */
  static double assertClose(String what, float[][] actual, double[][] expected) {
    double scale = 0;
    double diff = 0;
    assertEquals(expected.length, actual.length, what + ": rows");
    for (int r = 0; r < expected.length; r++) {
      assertEquals(expected[r].length, actual[r].length, what + ": vocab of row " + r);
      for (int j = 0; j < expected[r].length; j++) {
        scale = Math.max(scale, Math.abs(expected[r][j]));
        diff = Math.max(diff, Math.abs(actual[r][j] - expected[r][j]));
      }
    }
    double relative = diff / scale;
    System.out.printf("%s: max |logit| %.4f, max |diff| %.3g (%.3g relative)%n", what, scale,
        diff, relative);
    assertTrue(scale > 0.1, what + ": degenerate logits, max |logit| " + scale);
    assertTrue(relative <= RELATIVE_TOLERANCE, what + ": max |diff| " + diff + " is "
        + relative + " of the logit scale " + scale);
    return relative;
  }

  /** Same for two production runs (KV-cache equivalence): max |diff| relative to the scale. */
  static void assertSame(String what, float[][] actual, float[][] expected, double tolerance) {
    double[][] e = new double[expected.length][];
    for (int r = 0; r < expected.length; r++) {
      e[r] = new double[expected[r].length];
      for (int j = 0; j < e[r].length; j++) {
        e[r][j] = expected[r][j];
      }
    }
    double scale = 0;
    double diff = 0;
    for (int r = 0; r < e.length; r++) {
      for (int j = 0; j < e[r].length; j++) {
        scale = Math.max(scale, Math.abs(e[r][j]));
        diff = Math.max(diff, Math.abs(actual[r][j] - e[r][j]));
      }
    }
    System.out.printf("%s: max |diff| %.3g of scale %.4f%n", what, diff, scale);
    assertTrue(diff <= tolerance * scale, what + ": max |diff| " + diff);
  }

  /** Byte tokens of a string (the tiny models' tokenizer: token id = byte value). */
  static int[] bytes(String s) {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int[] t = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      t[i] = b[i] & 0xFF;
    }
    return t;
  }

  /** Deterministic pseudo-random tokens in [0, vocab). */
  static int[] tokens(int n, int vocab, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = r.nextInt(vocab);
    }
    return t;
  }
}
