package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Appending a sequence in one call, token by token (greedy decoding's pattern) and in uneven
 * pieces gives the same logits; only rows from logitsFrom on are reported; misuse is refused.
 */
class KvCacheTest {
  /** Cached and batched runs differ only in float32 summation order, if at all. */
  private static final double TOLERANCE = 1e-6;

  private static float[][] inPieces(CausalLm lm, int[] tokens, int[] pieces) {
    float[][] out = new float[tokens.length][];
    CausalLm.Sequence s = lm.start(tokens.length);
    int done = 0;
    for (int p : pieces) {
      int[] piece = java.util.Arrays.copyOfRange(tokens, done, done + p);
      int offset = done;
      s.append(piece, p, 0, (i, l) -> out[offset + i] = l.clone());
      done += p;
      assertEquals(done, s.length());
    }
    return out;
  }

  private static void checkEquivalence(String what, CausalLm lm, int n) {
    int[] tokens = LogitChecks.tokens(n, lm.vocabSize(), 42);
    float[][] whole = LogitChecks.run(lm, tokens);
    int[] ones = new int[n];
    java.util.Arrays.fill(ones, 1);
    LogitChecks.assertSame(what + " token by token", inPieces(lm, tokens, ones), whole,
        TOLERANCE);
    int[] uneven = {5, 1, 11, 2, n - 19};
    LogitChecks.assertSame(what + " in pieces", inPieces(lm, tokens, uneven), whole, TOLERANCE);
  }

  @Test
  void llamaAppendsAgreeHowever() {
    TestModels.Model m = TestModels.llama("llama", 11, c -> { });
    checkEquivalence("llama", CausalLms.fromWeights(m.config, m.weights), 40);
  }

  @Test
  void mistralWindowAppendsAgreeHowever() {
    TestModels.Model m = TestModels.llama("mistral", 12, c -> c.put("sliding_window", 6));
    checkEquivalence("mistral", CausalLms.fromWeights(m.config, m.weights), 40);
  }

  @Test
  void gpt2AppendsAgreeHowever() {
    TestModels.Model m = TestModels.gpt2("transformer.", 13, c -> { });
    checkEquivalence("gpt2", CausalLms.fromWeights(m.config, m.weights), 40);
  }

  @Test
  void realModelAppendsAgreeHowever() {
    CausalLm lm = CausalLms.load(dev.sparkmerge.checkpoint.CheckpointFs.withDefaults(),
        RealModelForwardTest.models().resolve("tiny-llama-base").toString(), null);
    checkEquivalence("tiny-llama-base", lm, 64);
  }

  @Test
  void onlyRowsFromLogitsFromAreReportedInOrder() {
    TestModels.Model m = TestModels.llama("llama", 14, c -> { });
    CausalLm lm = CausalLms.fromWeights(m.config, m.weights);
    int[] tokens = LogitChecks.tokens(20, lm.vocabSize(), 7);
    float[][] whole = LogitChecks.run(lm, tokens);
    List<Integer> seen = new ArrayList<>();
    float[][] got = new float[20][];
    lm.start(20).append(tokens, 20, 13, (i, l) -> {
      seen.add(i);
      assertEquals(lm.vocabSize(), l.length);
      got[i] = l.clone();
    });
    assertEquals(List.of(13, 14, 15, 16, 17, 18, 19), seen);
    assertNull(got[12]);
    assertEquals(whole[19][3], got[19][3], 1e-6f);
    List<Integer> none = new ArrayList<>();
    CausalLm.Sequence s = lm.start(20);
    s.append(tokens, 20, 20, (i, l) -> none.add(i));
    assertTrue(none.isEmpty());
    assertEquals(20, s.length());
  }

  @Test
  void misuseIsRefused() {
    TestModels.Model m = TestModels.llama("llama", 15, c -> { });
    CausalLm lm = CausalLms.fromWeights(m.config, m.weights);
    CausalLm.Sequence s = lm.start(4);
    CausalLm.LogitRows ignore = (i, l) -> { };
    assertThrows(IllegalArgumentException.class, () -> s.append(new int[] {1, 61}, 2, 0, ignore));
    assertThrows(IllegalArgumentException.class, () -> s.append(new int[] {-1}, 1, 0, ignore));
    assertThrows(IllegalArgumentException.class,
        () -> s.append(new int[] {1, 2, 3, 4, 5}, 5, 0, ignore));
    assertEquals(0, s.length());
    s.append(new int[] {1, 2, 3, 4}, 4, 0, ignore);
    assertThrows(IllegalArgumentException.class, () -> s.append(new int[] {1}, 1, 0, ignore));
    assertThrows(IllegalArgumentException.class, () -> lm.start(lm.contextLength() + 1));
    assertThrows(IllegalArgumentException.class, () -> lm.start(0));
  }
}
