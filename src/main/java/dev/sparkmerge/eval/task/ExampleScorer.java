package dev.sparkmerge.eval.task;

import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.eval.model.CausalLm;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Scores one example at a time with a model, tokenizing on the fly. Per kind:
 *
 * <ul>
 *   <li><b>text</b> ({@code text} or {@code ids}): the sequence is the tokenizer's prefix (a BOS,
 *       if it adds one) and the text's tokens; every text token is scored, except the first when
 *       there is no prefix (it has no context). Sequences longer than the context are scored in
 *       windows of stride L / 2, each token once ({@link TokenWindows} has the exact rule).
 *   <li><b>completion</b>: prompt and prompt + completion are tokenized (each after the prefix);
 *       the tokens of the second beyond the common prefix of the two are the continuation, scored
 *       given everything before them (as lm-eval's loglikelihood). Exact match: greedy decoding
 *       (argmax, ties to the lowest id) from the prompt's tokens until the decoded text contains
 *       the stop string or continuation + 16 tokens are generated; the decoded text up to the first
 *       stop string must equal the completion up to its first stop string. Decoding leaves special
 *       tokens out.
 *   <li><b>pre-tokenized completion</b>: the continuation is completion_ids after prompt_ids;
 *       exact match: greedy decoding of len(completion_ids) tokens must give completion_ids
 *       exactly (there is no stop string without a tokenizer; decoding stops at the first wrong
 *       token, which cannot change the outcome).
 *   <li><b>multiple choice</b>: each choice is scored as a completion; accuracy takes the choice
 *       with the largest summed log-likelihood, accuracy_norm the largest log-likelihood per UTF-8
 *       byte of the choice (ties: the first). The loss counts the right choice's tokens only.
 * </ul>
 *
 * <p>A sequence longer than the context (other than a text) loses tokens from the left of its
 * context, as lm-eval does; such examples are counted as truncated. A continuation that alone
 * does not fit the context is an {@link EvalException}, as are ids outside the model's vocabulary.
 *
 * <p>Log-probabilities come from {@link LogSoftmax} (float32 logits, double sums). Thread-safe if
 * the model is: it keeps no state between examples.
 */
public final class ExampleScorer {
  /** Tokens greedy decoding may produce beyond the completion's own length. */
  public static final int EXTRA_NEW_TOKENS = 16;

  private final CausalLm lm;
  private final TextTokenizer tokenizer;
  private final ScoringOptions options;
  private final int context;
  private final int vocab;
  private final int[] prefix;

  /**
   * @param tokenizerOrNull the model's tokenizer; null scores only pre-tokenized examples
   * @throws EvalException if the options' context length does not suit the model
   */
  public ExampleScorer(CausalLm lm, TextTokenizer tokenizerOrNull, ScoringOptions options) {
    this.lm = Objects.requireNonNull(lm, "lm");
    this.tokenizer = tokenizerOrNull;
    this.options = Objects.requireNonNull(options, "options");
    this.context = options.contextLength(lm);
    this.vocab = lm.vocabSize();
    this.prefix = tokenizerOrNull == null ? new int[0] : tokenizerOrNull.prefix();
    for (int id : prefix) {
      if (id >= vocab) {
        throw new EvalException("The tokenizer puts token id " + id + " before every text,"
            + " outside the model's vocabulary of " + vocab + " tokens: the tokenizer does not"
            + " belong to this model.");
      }
    }
  }

  /** The context length in use (the options' override or the model's). */
  public int contextLength() {
    return context;
  }

  /**
   * Scores one example: its totals (one example, its scored tokens and their nats, and its
   * exact match or choice results).
   *
   * @throws EvalException naming the example's file and line if it cannot be scored
   */
  public TaskTotals score(Example e) {
    TaskTotals totals = TaskTotals.of(e.kind());
    switch (e.kind()) {
      case TEXT:
        return scoreText(e, concat(prefix, encode(e, e.text(), "text")),
            prefix.length > 0 ? prefix.length : 1, "text", totals);
      case TEXT_IDS:
        return scoreText(e, checkIds(e, e.ids(), "ids"), 1, "ids", totals);
      case COMPLETION:
        return scoreCompletion(e, totals);
      case COMPLETION_IDS:
        return scoreCompletionIds(e, totals);
      case CHOICE:
        return scoreChoice(e, totals);
      default:
        throw new IllegalStateException(e.kind().name());
    }
  }

  private TaskTotals scoreText(Example e, int[] seq, int first, String key, TaskTotals totals) {
    if (seq.length - first < 1) {
      throw new EvalException(e.where() + ", key \"" + key + "\": the text is a single token,"
          + " which is only context (the tokenizer adds no BOS), so nothing is scored.");
    }
    double logLik = 0;
    for (TokenWindows.Window w : TokenWindows.plan(seq.length, first, context)) {
      logLik += logLikelihood(seq, w.start, w.end, w.scoreFrom);
    }
    return totals.addExample(-logLik, seq.length - first);
  }

  private TaskTotals scoreCompletion(Example e, TaskTotals totals) {
    int[] promptSeq = concat(prefix, encode(e, e.prompt(), "prompt"));
    Continuation c = continuation(e, promptSeq, e.prompt() + e.completion(), "completion");
    totals.addExample(-c.logLik, c.tokens());
    int maxNew = c.tokens() + EXTRA_NEW_TOKENS;
    String stop = options.stopString();
    Generation g = generate(promptSeq, maxNew,
        (out, count) -> tokenizer.decode(out, 0, count).contains(stop));
    String text = tokenizer.decode(g.tokens, 0, g.count);
    totals.addExactMatch(upToStop(text, stop).equals(upToStop(e.completion(), stop)));
    if (c.truncated || g.truncated) {
      totals.addTruncated();
    }
    return totals;
  }

  private TaskTotals scoreCompletionIds(Example e, TaskTotals totals) {
    int[] promptIds = checkIds(e, e.promptIds(), "prompt_ids");
    int[] completionIds = checkIds(e, e.completionIds(), "completion_ids");
    int[] seq = concat(promptIds, completionIds);
    checkFits(e, completionIds.length, "completion_ids");
    int start = contextStart(seq.length, promptIds.length);
    totals.addExample(-logLikelihood(seq, start, seq.length, promptIds.length),
        completionIds.length);
    Generation g = generate(promptIds, completionIds.length,
        (out, count) -> out[count - 1] != completionIds[count - 1]);
    totals.addExactMatch(g.count == completionIds.length
        && Arrays.equals(g.tokens, 0, g.count, completionIds, 0, completionIds.length));
    if (start > 0 || g.truncated) {
      totals.addTruncated();
    }
    return totals;
  }

  private TaskTotals scoreChoice(Example e, TaskTotals totals) {
    int[] promptSeq = concat(prefix, encode(e, e.prompt(), "prompt"));
    List<String> choices = e.choices();
    int best = -1;
    int bestNorm = -1;
    double bestLogLik = 0;
    double bestPerByte = 0;
    boolean truncated = false;
    for (int i = 0; i < choices.size(); i++) {
      String choice = choices.get(i);
      Continuation c = continuation(e, promptSeq, e.prompt() + choice, "choices");
      double perByte = c.logLik / choice.getBytes(StandardCharsets.UTF_8).length;
      // Strict comparisons: on a tie the earlier choice stays.
      if (best < 0 || c.logLik > bestLogLik) {
        best = i;
        bestLogLik = c.logLik;
      }
      if (bestNorm < 0 || perByte > bestPerByte) {
        bestNorm = i;
        bestPerByte = perByte;
      }
      if (i == e.answer()) {
        totals.addExample(-c.logLik, c.tokens());
      }
      truncated |= c.truncated;
    }
    totals.addChoice(best == e.answer(), bestNorm == e.answer());
    if (truncated) {
      totals.addTruncated();
    }
    return totals;
  }

  /** A continuation's summed log-likelihood and where it starts in its sequence. */
  private static final class Continuation {
    final double logLik;
    final int from;
    final int length;
    final boolean truncated;

    Continuation(double logLik, int from, int length, boolean truncated) {
      this.logLik = logLik;
      this.from = from;
      this.length = length;
      this.truncated = truncated;
    }

    int tokens() {
      return length - from;
    }
  }

  /**
   * Scores {@code full}'s tokens beyond those it shares with {@code promptSeq} (the prompt's
   * sequence, prefix included).
   *
   * @param key the key the continuation comes from, for messages
   */
  private Continuation continuation(Example e, int[] promptSeq, String full, String key) {
    int[] seq = concat(prefix, encode(e, full, key));
    int from = commonPrefix(promptSeq, seq);
    if (from == seq.length) {
      throw new EvalException(e.where() + ", key \"" + key + "\": adds no tokens to the"
          + " prompt's, so there is nothing to score.");
    }
    if (from == 0) {
      throw new EvalException(e.where() + ", key \"prompt\": gives the " + key + " no context:"
          + " prompt and prompt + " + key + " share no leading token (an empty prompt needs a"
          + " tokenizer that adds a BOS).");
    }
    checkFits(e, seq.length - from, key);
    int start = contextStart(seq.length, from);
    return new Continuation(logLikelihood(seq, start, seq.length, from), from, seq.length,
        start > 0);
  }

  private void checkFits(Example e, int tokens, String key) {
    if (tokens > context) {
      throw new EvalException(e.where() + ", key \"" + key + "\": has " + tokens + " tokens to"
          + " score, more than the context length of " + context + " tokens, so the prompt"
          + " leaves no room; shorten it or raise the context length.");
    }
  }

  /** First token fed when scoring seq[from..n): the context is cut on the left to fit. */
  private int contextStart(int n, int from) {
    return Math.min(from - 1, Math.max(0, n - 1 - context));
  }

  /**
   * Σ log p(seq[i] | seq[start..i)) for i in [scoreFrom, end), in one forward pass over
   * seq[start..end − 1).
   */
  private double logLikelihood(int[] seq, int start, int end, int scoreFrom) {
    int count = end - 1 - start;
    double[] sum = {0};
    CausalLm.Sequence s = lm.start(count);
    s.append(Arrays.copyOfRange(seq, start, end - 1), count, scoreFrom - 1 - start,
        (i, row) -> sum[0] += LogSoftmax.logProb(row, vocab, seq[start + i + 1]));
    return sum[0];
  }

  /** Decides after each generated token whether decoding is done. */
  @FunctionalInterface
  private interface StopRule {
    boolean done(int[] generated, int count);
  }

  private static final class Generation {
    final int[] tokens;
    final int count;
    final boolean truncated;

    Generation(int[] tokens, int count, boolean truncated) {
      this.tokens = tokens;
      this.count = count;
      this.truncated = truncated;
    }
  }

  /**
   * Greedy decoding of up to {@code maxNew} tokens after {@code prompt}. The prompt loses tokens
   * on the left so that it and the new tokens fit the context (at least one prompt token stays);
   * decoding also ends when the context is full.
   */
  private Generation generate(int[] prompt, int maxNew, StopRule stop) {
    int keep = Math.max(1, Math.min(prompt.length, context + 1 - maxNew));
    int start = prompt.length - keep;
    CausalLm.Sequence s = lm.start(Math.min(context, keep + maxNew - 1));
    int[] next = new int[1];
    CausalLm.LogitRows pick = (i, row) -> next[0] = LogSoftmax.argmax(row, vocab);
    s.append(Arrays.copyOfRange(prompt, start, prompt.length), keep, keep - 1, pick);
    int[] out = new int[maxNew];
    int count = 0;
    while (true) {
      out[count++] = next[0];
      if (count == maxNew || stop.done(out, count) || s.length() >= context) {
        return new Generation(out, count, start > 0);
      }
      s.append(new int[] {next[0]}, 1, 0, pick);
    }
  }

  private int[] encode(Example e, String text, String key) {
    if (tokenizer == null) {
      throw e.missingTokenizer(null);
    }
    int[] ids = tokenizer.encode(text);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] >= vocab) {
        throw new EvalException(e.where() + ", key \"" + key + "\": the tokenizer gives token id "
            + ids[i] + ", outside the model's vocabulary of " + vocab + " tokens: the tokenizer"
            + " does not belong to this model.");
      }
    }
    return ids;
  }

  private int[] checkIds(Example e, int[] ids, String key) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] >= vocab) {
        throw new EvalException(e.where() + ", key \"" + key + "\": token id " + ids[i]
            + " (element " + i + ") is outside the model's vocabulary of " + vocab
            + " tokens (0 to " + (vocab - 1) + ").");
      }
    }
    return ids;
  }

  static String upToStop(String text, String stop) {
    int at = text.indexOf(stop);
    return at < 0 ? text : text.substring(0, at);
  }

  static int commonPrefix(int[] a, int[] b) {
    int n = Math.min(a.length, b.length);
    int i = 0;
    while (i < n && a[i] == b[i]) {
      i++;
    }
    return i;
  }

  private static int[] concat(int[] a, int[] b) {
    if (a.length == 0) {
      return b;
    }
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
