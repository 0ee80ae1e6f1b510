package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.eval.EvalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scoring against small deterministic models. Expected values are computed here, in float64,
 * from the model's logits: log p = x[t] − log Σ exp(x) (no max subtraction, a different path
 * from the scorer's), with the context each rule prescribes.
 */
class ExampleScorerTest {
  private static final String FILE = "file:/tasks/t.jsonl";
  private static TextTokenizer tiny;
  private static TextTokenizer bos;

  @BeforeAll
  static void loadTokenizers() throws IOException {
    tiny = TextTokenizerTest.tiny();
    bos = TextTokenizerTest.bos();
  }

  @AfterAll
  static void closeTokenizers() {
    tiny.close();
    bos.close();
  }

  static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = b[i] & 0xFF;
    }
    return ids;
  }

  /** log p(target | context) in float64 from the model's float32 logits. */
  static double logProb(ContextLm lm, int[] context, int target) {
    float[] x = lm.logitsAfter(context);
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v);
    }
    return x[target] - Math.log(sum);
  }

  /** −Σ log p(seq[i] | seq[start..i)) over i in [from, to). */
  static double nats(ContextLm lm, int[] seq, int start, int from, int to) {
    double nats = 0;
    for (int i = from; i < to; i++) {
      nats -= logProb(lm, Arrays.copyOfRange(seq, start, i), seq[i]);
    }
    return nats;
  }

  static void assertClose(double expected, double actual) {
    assertEquals(expected, actual, Math.abs(expected) * 1e-12 + 1e-12);
  }

  private static ExampleScorer scorer(ContextLm lm, TextTokenizer t) {
    return new ExampleScorer(lm, t, ScoringOptions.defaults());
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void textScoresEveryTokenAfterTheFirst() {
    ContextLm lm = new ContextLm.Formula(256, 64);
    String text = "yqjlxw 6473 hcnwsm\n";
    TaskTotals t = scorer(lm, tiny).score(Example.text(FILE, 1, text));
    int[] seq = bytes(text);
    assertEquals(seq.length - 1, t.tokens());
    assertEquals(1, t.examples());
    assertClose(nats(lm, seq, 0, 1, seq.length), t.natsTotal());
    assertEquals(1, lm.sequences());
    TaskScore s = t.score();
    assertClose(t.natsTotal() / t.tokens(), s.loss());
    assertClose(Math.exp(s.loss()), s.perplexity());
    assertFalse(s.exactMatch().isPresent());
    assertFalse(s.accuracy().isPresent());
  }

  @Test
  void withBosEveryTextTokenIsScored() {
    ContextLm lm = new ContextLm.Formula(300, 64);
    String text = "we orbrkz";
    TaskTotals t = scorer(lm, bos).score(Example.text(FILE, 1, text));
    int[] seq = concat(new int[] {256}, bytes(text));
    assertEquals(text.length(), t.tokens());
    assertClose(nats(lm, seq, 0, 1, seq.length), t.natsTotal());
    // A single-byte text is fine with a BOS, an error without one.
    assertEquals(1, scorer(lm, bos).score(Example.text(FILE, 1, "a")).tokens());
    EvalException e = assertThrows(EvalException.class,
        () -> scorer(lm, tiny).score(Example.text(FILE, 4, "a")));
    assertTrue(e.getMessage().startsWith(FILE + ": line 4, key \"text\""), e.getMessage());
  }

  /** The window of the rule that scores token t (t >= 1): the first whose predictions reach t. */
  private static int windowStart(int t, int context) {
    int stride = context / 2;
    return t <= context ? 0 : ((t - context - 1) / stride + 1) * stride;
  }

  @Test
  void longTextIsScoredInWindowsEachTokenOnce() {
    int n = 23;
    int context = 6;
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = (i * 7 + 3) % 50;
    }
    double expected = 0;
    ContextLm reference = new ContextLm.Formula(50, context);
    for (int t = 1; t < n; t++) {
      int start = windowStart(t, context);
      assertTrue(t - start >= 1 && t - start <= context);
      expected -= logProb(reference, Arrays.copyOfRange(ids, start, t), ids[t]);
    }
    ContextLm lm = new ContextLm.Formula(50, context);
    TaskTotals t = scorer(lm, null).score(Example.textIds(FILE, 1, ids));
    assertEquals(n - 1, t.tokens());
    assertClose(expected, t.natsTotal());
    // One pass for tokens 1..6 and one per 3 more: 1 + ceil((22 − 6) / 3) = 7.
    assertEquals(7, lm.sequences());
    assertEquals(context, lm.longestSequence());

    // The same with a longer model shortened by the options.
    ContextLm longer = new ContextLm.Formula(50, 64);
    TaskTotals viaOptions = new ExampleScorer(longer, null,
        ScoringOptions.defaults().withContextLength(context)).score(Example.textIds(FILE, 1, ids));
    assertEquals(t.natsTotal(), viaOptions.natsTotal());
    assertEquals(context, longer.longestSequence());
    // Without the limit the whole text is one window, which gives a different sum.
    TaskTotals whole = scorer(new ContextLm.Formula(50, 64), null)
        .score(Example.textIds(FILE, 1, ids));
    assertClose(nats(longer, ids, 0, 1, n), whole.natsTotal());
    assertTrue(Math.abs(whole.natsTotal() - t.natsTotal()) > 1e-6);
  }

  @Test
  void windowPlansCoverEveryTokenOnce() {
    for (int context = 2; context <= 9; context++) {
      int stride = context / 2;
      for (int first = 1; first <= 3; first++) {
        for (int n = first + 1; n <= 40; n++) {
          List<TokenWindows.Window> plan = TokenWindows.plan(n, first, context);
          int next = first;
          for (int k = 0; k < plan.size(); k++) {
            TokenWindows.Window w = plan.get(k);
            String where = "n " + n + " first " + first + " context " + context + " " + w;
            assertEquals(next, w.scoreFrom, where);
            assertTrue(w.end > w.scoreFrom && w.scoreFrom > w.start, where);
            assertTrue(w.end - 1 - w.start <= context, where);
            assertEquals(0, w.start % stride, where);
            if (k > 0) {
              assertTrue(w.scoreFrom - w.start >= context + 1 - stride, where);
            }
            next = w.end;
          }
          assertEquals(n, next);
        }
      }
    }
  }

  @Test
  void completionScoresTheTokensAfterThePrompt() {
    ContextLm lm = new ContextLm.Formula(256, 64);
    TaskTotals t = scorer(lm, tiny).score(Example.completion(FILE, 1, "add 1 =", " 2\n"));
    int[] seq = bytes("add 1 = 2\n");
    assertEquals(3, t.tokens());
    assertClose(nats(lm, seq, 0, 7, seq.length), t.natsTotal());
    assertTrue(t.hasExactMatch());
    assertEquals(0, t.truncated());
    // With a BOS the prompt's context starts with it.
    ContextLm lm2 = new ContextLm.Formula(300, 64);
    TaskTotals b = scorer(lm2, bos).score(Example.completion(FILE, 1, "add 1 =", " 2\n"));
    int[] withBos = concat(new int[] {256}, seq);
    assertClose(nats(lm2, withBos, 0, 8, withBos.length), b.natsTotal());
    // An empty prompt is context only through a BOS.
    assertEquals(2, scorer(lm2, bos).score(Example.completion(FILE, 1, "", "ab")).tokens());
    EvalException e = assertThrows(EvalException.class,
        () -> scorer(lm, tiny).score(Example.completion(FILE, 9, "", "ab")));
    assertTrue(e.getMessage().startsWith(FILE + ": line 9, key \"prompt\""), e.getMessage());
  }

  @Test
  void longPromptLosesItsLeftEnd() {
    ContextLm lm = new ContextLm.Formula(256, 8);
    TaskTotals t = scorer(lm, tiny).score(Example.completion(FILE, 1, "abcdefghij", "xyz"));
    int[] seq = bytes("abcdefghijxyz");
    // 12 tokens to feed, 8 fit: the first 4 are dropped.
    assertClose(nats(lm, seq, 4, 10, 13), t.natsTotal());
    assertEquals(3, t.tokens());
    assertEquals(1, t.truncated());
    assertEquals(1, t.score().truncated());
    assertTrue(lm.longestSequence() <= 8);

    EvalException e = assertThrows(EvalException.class,
        () -> scorer(lm, tiny).score(Example.completion(FILE, 5, "p", "123456789")));
    assertTrue(e.getMessage().startsWith(FILE + ": line 5, key \"completion\": has 9 tokens"),
        e.getMessage());
    assertTrue(e.getMessage().contains("context length of 8"), e.getMessage());
  }

  private static boolean exactMatch(ContextLm lm, ScoringOptions o, String prompt,
      String completion) {
    TaskTotals t = new ExampleScorer(lm, tiny, o).score(
        Example.completion(FILE, 1, prompt, completion));
    assertEquals(1, t.examples());
    assertEquals(t.exactMatches(), t.score().exactMatch().getAsDouble());
    return t.exactMatches() == 1;
  }

  @Test
  void exactMatchByGreedyDecodingUpToTheStopString() {
    ScoringOptions o = ScoringOptions.defaults();
    assertTrue(exactMatch(new ContextLm.Scripted(64, "q =", " ab\n", 'x', -1), o, "q =",
        " ab\n"));
    assertFalse(exactMatch(new ContextLm.Scripted(64, "q =", " ac\n", 'x', -1), o, "q =",
        " ab\n"));
    // Only the text before the first stop string counts, on both sides.
    assertTrue(exactMatch(new ContextLm.Scripted(64, "q =", " ab\nzzz", 'x', -1), o, "q =",
        " ab\nmore"));
    assertTrue(exactMatch(new ContextLm.Scripted(64, "q =", " ab\n", 'x', -1), o, "q =",
        " ab"));
    // A generated prefix of the completion is not a match.
    assertFalse(exactMatch(new ContextLm.Scripted(64, "q =", " a\n", 'x', -1), o, "q =",
        " ab\n"));
    // Another stop string.
    ScoringOptions semicolon = o.withStopString(";");
    assertTrue(exactMatch(new ContextLm.Scripted(64, "q =", " ab;zz", 'x', -1), semicolon,
        "q =", " ab;"));
    assertFalse(exactMatch(new ContextLm.Scripted(64, "q =", " ab\n;", 'x', -1), semicolon,
        "q =", " ab;"));
  }

  @Test
  void decodingStopsAfterCompletionPlusSixteenTokens() {
    // After " ab" the model says "x" forever: no stop string, so decoding runs to the limit.
    ContextLm lm = new ContextLm.Scripted(64, "q =", " ab", 'x', -1);
    assertFalse(exactMatch(lm, ScoringOptions.defaults(), "q =", " ab"));
    // Prompt (3) + 3 + 16 generated tokens, the last of which is never fed back.
    assertEquals(3 + 3 + ExampleScorer.EXTRA_NEW_TOKENS - 1, lm.longestSequence());
    // With the context full first, decoding ends there.
    ContextLm short10 = new ContextLm.Scripted(10, "q =", " ab", 'x', -1);
    assertFalse(exactMatch(short10, ScoringOptions.defaults(), "q =", " ab"));
    assertEquals(10, short10.longestSequence());
  }

  @Test
  void preTokenizedCompletionMatchesIdsExactlyAndTiesGoToTheLowestId() {
    // Tokens 5 and 7 share the top logit 5; every other of the 256 has 0.
    double logP = 5 - Math.log(2 * Math.exp(5) + 254);
    ContextLm lm = new ContextLm.Scripted(64, "\u0001", "", 5, 7);
    TaskTotals t = scorer(lm, null).score(
        Example.completionIds(FILE, 1, new int[] {1}, new int[] {5, 7}));
    assertEquals(2, t.tokens());
    assertClose(-2 * logP, t.natsTotal());
    assertEquals(0, t.exactMatches()); // greedy gives 5, 5
    assertEquals(2, lm.longestSequence()); // stopped at the first wrong token, not fed on

    assertEquals(1, scorer(lm, null).score(
        Example.completionIds(FILE, 1, new int[] {1}, new int[] {5, 5, 5})).exactMatches());
    assertEquals(0, scorer(lm, null).score(
        Example.completionIds(FILE, 1, new int[] {1}, new int[] {7})).exactMatches());
  }

  @Test
  void idsOutsideTheVocabulary() {
    ContextLm lm = new ContextLm.Uniform(10, 16);
    EvalException e = assertThrows(EvalException.class,
        () -> scorer(lm, null).score(Example.textIds(FILE, 3, new int[] {1, 10})));
    assertTrue(e.getMessage().startsWith(FILE + ": line 3, key \"ids\": token id 10"),
        e.getMessage());
    EvalException p = assertThrows(EvalException.class, () -> scorer(lm, null).score(
        Example.completionIds(FILE, 4, new int[] {12}, new int[] {1})));
    assertTrue(p.getMessage().startsWith(FILE + ": line 4, key \"prompt_ids\""), p.getMessage());
    EvalException c = assertThrows(EvalException.class, () -> scorer(lm, null).score(
        Example.completionIds(FILE, 5, new int[] {1}, new int[] {1, 99})));
    assertTrue(c.getMessage().startsWith(FILE + ": line 5, key \"completion_ids\""),
        c.getMessage());
    // Ids from a tokenizer that does not fit the model.
    EvalException tok = assertThrows(EvalException.class,
        () -> scorer(new ContextLm.Uniform(100, 16), tiny).score(Example.text(FILE, 6, "é")));
    assertTrue(tok.getMessage().startsWith(FILE + ": line 6, key \"text\""), tok.getMessage());
    assertTrue(tok.getMessage().contains("does not belong to this model"), tok.getMessage());
    // A tokenizer whose BOS lies outside the model's vocabulary.
    assertThrows(EvalException.class, () -> scorer(new ContextLm.Uniform(256, 16), bos));
  }

  @Test
  void textNeedsATokenizer() {
    ExampleScorer noTokenizer = scorer(new ContextLm.Uniform(256, 16), null);
    EvalException e = assertThrows(EvalException.class,
        () -> noTokenizer.score(Example.text(FILE, 2, "abc")));
    assertTrue(e.getMessage().startsWith(FILE + ": line 2, key \"text\""), e.getMessage());
    assertTrue(e.getMessage().contains("need the model's tokenizer"), e.getMessage());
    EvalException c = assertThrows(EvalException.class,
        () -> noTokenizer.score(Example.choice(FILE, 3, "q", List.of("a", "b"), 0)));
    assertTrue(c.getMessage().startsWith(FILE + ": line 3, key \"prompt\""), c.getMessage());
  }

  private static TaskTotals choice(ContextLm lm, List<String> choices, int answer) {
    return scorer(lm, tiny).score(Example.choice(FILE, 1, "add 1 =", choices, answer));
  }

  @Test
  void multipleChoiceAccuracyAndNormDiffer() {
    ContextLm uniform = new ContextLm.Uniform(256, 64);
    // Uniform: log-likelihood −n·ln 256, so the shorter choice wins; per byte all tie, and
    // ties go to the first choice.
    TaskTotals a = choice(uniform, List.of(" ab", " a"), 0);
    assertEquals(0, a.choiceCorrect());
    assertEquals(1, a.choiceCorrectNorm());
    assertEquals(3, a.tokens()); // the right choice's tokens only
    assertClose(3 * Math.log(256), a.natsTotal());
    TaskScore s = a.score();
    assertEquals(0.0, s.accuracy().getAsDouble());
    assertEquals(1.0, s.accuracyNorm().getAsDouble());
    assertFalse(s.exactMatch().isPresent());

    TaskTotals b = choice(uniform, List.of(" ab", " a"), 1);
    assertEquals(1, b.choiceCorrect());
    assertEquals(0, b.choiceCorrectNorm());
    // A tie in plain likelihood goes to the first choice too.
    TaskTotals tie = choice(uniform, List.of(" ab", " cd"), 1);
    assertEquals(0, tie.choiceCorrect());
    assertEquals(0, tie.choiceCorrectNorm());
    assertEquals(1, choice(uniform, List.of(" ab", " cd"), 0).choiceCorrect());
  }

  @Test
  void multipleChoiceAgainstDirectLikelihoods() {
    ContextLm lm = new ContextLm.Formula(256, 64);
    List<String> choices = List.of(" red\n", " blue\n", " x\n", " é\n");
    int[] prompt = bytes("add 1 =");
    double[] ll = new double[choices.size()];
    int best = 0;
    int bestNorm = 0;
    for (int i = 0; i < ll.length; i++) {
      int[] seq = concat(prompt, bytes(choices.get(i)));
      ll[i] = -nats(lm, seq, 0, prompt.length, seq.length);
      int nbytes = choices.get(i).getBytes(StandardCharsets.UTF_8).length;
      int bestBytes = choices.get(bestNorm).getBytes(StandardCharsets.UTF_8).length;
      best = ll[i] > ll[best] ? i : best;
      bestNorm = ll[i] / nbytes > ll[bestNorm] / bestBytes ? i : bestNorm;
    }
    for (int answer = 0; answer < ll.length; answer++) {
      TaskTotals t = choice(lm, choices, answer);
      assertClose(-ll[answer], t.natsTotal());
      assertEquals(choices.get(answer).getBytes(StandardCharsets.UTF_8).length, t.tokens());
      assertEquals(best == answer ? 1 : 0, t.choiceCorrect(), "answer " + answer);
      assertEquals(bestNorm == answer ? 1 : 0, t.choiceCorrectNorm(), "answer " + answer);
    }
  }

  @Test
  void contextLengthOptions() {
    ContextLm lm = new ContextLm.Uniform(256, 8);
    assertEquals(8, scorer(lm, null).contextLength());
    assertEquals(4, new ExampleScorer(lm, null, ScoringOptions.defaults().withContextLength(4))
        .contextLength());
    EvalException longer = assertThrows(EvalException.class, () -> new ExampleScorer(lm, null,
        ScoringOptions.defaults().withContextLength(16)));
    assertTrue(longer.getMessage().contains("longer than the 8 tokens"), longer.getMessage());
    assertThrows(EvalException.class, () -> new ExampleScorer(lm, null,
        ScoringOptions.defaults().withContextLength(1)));
    assertThrows(EvalException.class, () -> new ExampleScorer(new ContextLm.Uniform(256, 1),
        null, ScoringOptions.defaults()));
    assertThrows(EvalException.class, () -> new ScoringOptions(-1, "\n"));
    assertThrows(EvalException.class, () -> new ScoringOptions(0, ""));
    assertEquals("\n", ScoringOptions.defaults().stopString());
  }
}
