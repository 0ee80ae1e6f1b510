package dev.sparkmerge.eval.task;

import dev.sparkmerge.eval.model.CausalLm;
import java.util.Arrays;

/**
 * A small deterministic causal LM for tests: the logits after a prefix are a pure function of the
 * whole prefix (of this sequence), which subclasses define. Keeps the contract of {@link CausalLm}
 * (ids in range, capacity, rows from logitsFrom in increasing order, a reused logits array) and
 * records the longest sequence it was asked to hold, so tests can see what the scorer fed.
 */
abstract class ContextLm implements CausalLm {
  private final int vocab;
  private final int context;
  private int longestSequence;
  private int sequences;

  ContextLm(int vocab, int context) {
    this.vocab = vocab;
    this.context = context;
  }

  /** Fills {@code out[0..vocab)} with the logits that predict the token after prefix[0..length). */
  abstract void logits(int[] prefix, int length, float[] out);

  /** The logits after {@code prefix} as a new array (for expected values in tests). */
  final float[] logitsAfter(int... prefix) {
    float[] out = new float[vocab];
    logits(prefix, prefix.length, out);
    return out;
  }

  @Override
  public String modelType() {
    return "test";
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  @Override
  public int contextLength() {
    return context;
  }

  @Override
  public long weightBytes() {
    return 0;
  }

  /** The longest sequence any {@link #start}ed sequence reached. */
  synchronized int longestSequence() {
    return longestSequence;
  }

  /** How many sequences were started. */
  synchronized int sequences() {
    return sequences;
  }

  private synchronized void sawLength(int length) {
    longestSequence = Math.max(longestSequence, length);
  }

  @Override
  public Sequence start(int capacity) {
    if (capacity < 1 || capacity > context) {
      throw new IllegalArgumentException("capacity " + capacity + " outside 1.." + context);
    }
    synchronized (this) {
      sequences++;
    }
    return new Sequence() {
      private final int[] tokens = new int[capacity];
      private final float[] row = new float[vocab];
      private int length;

      @Override
      public int length() {
        return length;
      }

      @Override
      public void append(int[] add, int count, int logitsFrom, LogitRows rows) {
        if (length + count > capacity) {
          throw new IllegalArgumentException("sequence would exceed its capacity " + capacity);
        }
        for (int i = 0; i < count; i++) {
          if (add[i] < 0 || add[i] >= vocab) {
            throw new IllegalArgumentException("token id " + add[i] + " outside the vocabulary");
          }
        }
        for (int i = 0; i < count; i++) {
          tokens[length++] = add[i];
          if (i >= logitsFrom) {
            Arrays.fill(row, Float.NaN); // catch rows read after they are reused
            logits(tokens, length, row);
            rows.row(i, row);
          }
        }
        sawLength(length);
      }
    };
  }

  /** Every logit 0: all tokens equally likely (log p = −log vocab), argmax = token 0. */
  static final class Uniform extends ContextLm {
    Uniform(int vocab, int context) {
      super(vocab, context);
    }

    @Override
    void logits(int[] prefix, int length, float[] out) {
      Arrays.fill(out, 0, vocabSize(), 0f);
    }
  }

  /**
   * Logits that depend on the last token, the prefix's length and the sum of all its tokens, so
   * that a different window start changes the result.
   */
  static final class Formula extends ContextLm {
    Formula(int vocab, int context) {
      super(vocab, context);
    }

    @Override
    void logits(int[] prefix, int length, float[] out) {
      long sum = 0;
      for (int i = 0; i < length; i++) {
        sum += prefix[i];
      }
      int last = prefix[length - 1];
      for (int v = 0; v < vocabSize(); v++) {
        out[v] = (float) (3.0 * Math.sin(0.7 * last + 1.3 * v + 0.11 * length + 0.05 * sum));
      }
    }
  }

  /**
   * Greedy decoding follows a script: after a prefix that starts with a scripted prompt and
   * continues with the start of its scripted answer, the next answer token gets logit 5 and every
   * other token 0; elsewhere token {@code fallback} gets 5. Two tokens may share the top logit
   * ({@code tie}) to test tie-breaking. Token ids are the bytes of ASCII strings.
   */
  static final class Scripted extends ContextLm {
    private final String prompt;
    private final String answer;
    private final int fallback;
    private final int tie;

    Scripted(int context, String prompt, String answer, int fallback, int tie) {
      super(256, context);
      this.prompt = prompt;
      this.answer = answer;
      this.fallback = fallback;
      this.tie = tie;
    }

    @Override
    void logits(int[] prefix, int length, float[] out) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < length; i++) {
        sb.append((char) prefix[i]);
      }
      String text = sb.toString();
      int next = fallback;
      int at = text.indexOf(prompt);
      if (at >= 0) {
        String done = text.substring(at + prompt.length());
        if (answer.startsWith(done) && done.length() < answer.length()) {
          next = answer.charAt(done.length());
        }
      }
      Arrays.fill(out, 0, vocabSize(), 0f);
      out[next] = 5f;
      if (tie >= 0) {
        out[tie] = 5f;
      }
    }
  }
}
