package dev.sparkmerge.eval.task;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * A model's Hugging Face tokenizer ({@code tokenizer.json}), run by the tokenizers library
 * through DJL's binding, offline (see {@link DjlSettings}). No truncation, no padding.
 *
 * <p>Special tokens follow the tokenizer's own post-processor: if it puts tokens before the text
 * (a BOS such as Llama's {@code <s>}), they are the {@link #prefix()} that scoring puts before
 * every sequence; tokens it puts after the text (an EOS, as RoBERTa's) are not used, since scored
 * sequences must stay open-ended. {@link #encode} gives the text's own tokens, without the prefix.
 *
 * <p>Not serializable: load one per JVM from the model directory. Thread-safe (calls into the
 * native tokenizer are serialized). Close it to free the native tokenizer.
 */
public final class TextTokenizer implements AutoCloseable {
  /** The file a model directory holds its tokenizer in. */
  public static final String FILE_NAME = "tokenizer.json";

  private static final int MAX_BYTES = 512 << 20;
  /** Any text: what the post-processor adds around it is what we want to learn. */
  private static final String PROBE = "Hello world";

  private final HuggingFaceTokenizer tokenizer;
  private final int[] prefix;

  private TextTokenizer(HuggingFaceTokenizer tokenizer, String source) {
    this.tokenizer = tokenizer;
    this.prefix = findPrefix(source);
  }

  /**
   * Loads {@code <modelDir>/tokenizer.json} from any Hadoop file system.
   *
   * @throws EvalException if the model has no tokenizer.json, or it cannot be loaded
   */
  public static TextTokenizer load(CheckpointFs fs, String modelDir) {
    Path file = new Path(fs.resolve(modelDir), FILE_NAME);
    if (fs.statusOrNull(file) == null) {
      throw new EvalException(modelDir + ": the model has no " + FILE_NAME + ". Text tasks"
          + " need the model's tokenizer; tasks of pre-tokenized ids (\"ids\", \"prompt_ids\" +"
          + " \"completion_ids\") work without one.");
    }
    byte[] json = fs.readSmallFile(file, FILE_NAME, MAX_BYTES);
    return fromJson(json, file.toString());
  }

  /**
   * A tokenizer from the bytes of a {@code tokenizer.json} (read straight from memory: no local
   * copy of the file is needed).
   *
   * @param source where the bytes came from, for messages
   */
  public static TextTokenizer fromJson(byte[] json, String source) {
    DjlSettings.apply();
    HuggingFaceTokenizer t;
    try {
      t = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
          "addSpecialTokens", "true",
          "truncation", "false",
          "padding", "false",
          "modelMaxLength", String.valueOf(Integer.MAX_VALUE)));
    } catch (IOException | RuntimeException e) {
      throw new EvalException(source + ": cannot load the tokenizer: " + e.getMessage(), e);
    } catch (UnsatisfiedLinkError e) {
      throw new EvalException("Cannot load the tokenizers native library for "
          + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ": "
          + e.getMessage(), e);
    }
    try {
      return new TextTokenizer(t, source);
    } catch (RuntimeException e) {
      t.close();
      throw e;
    }
  }

  /**
   * The tokens the post-processor puts before a text, learned by encoding a probe text with and
   * without special tokens.
   */
  private int[] findPrefix(String source) {
    long[] with = tokenizer.encode(PROBE, true, false).getIds();
    long[] without = tokenizer.encode(PROBE, false, false).getIds();
    for (int start = 0; start + without.length <= with.length; start++) {
      if (Arrays.equals(with, start, start + without.length, without, 0, without.length)) {
        return toInts(Arrays.copyOf(with, start));
      }
    }
    throw new EvalException(source + ": the tokenizer's post-processor changes the text's"
        + " tokens (encoding with special tokens does not contain the plain encoding), so the"
        + " evaluator cannot tell which tokens it adds.");
  }

  /** The text's tokens, without special tokens (see {@link #prefix()}). */
  public synchronized int[] encode(String text) {
    Encoding e = tokenizer.encode(text, false, false);
    return toInts(e.getIds());
  }

  /** The tokens the tokenizer puts before every text (typically one BOS), possibly none. */
  public int[] prefix() {
    return prefix.clone();
  }

  /** True if the tokenizer puts a BOS (or other tokens) before a text. */
  public boolean addsBos() {
    return prefix.length > 0;
  }

  /**
   * The text of {@code ids[from..to)}, special tokens left out, spaces exactly as the tokenizer's
   * decoder gives them (no clean-up of spaces before punctuation).
   */
  public synchronized String decode(int[] ids, int from, int to) {
    long[] slice = new long[to - from];
    for (int i = from; i < to; i++) {
      slice[i - from] = ids[i];
    }
    return tokenizer.decode(slice, true);
  }

  @Override
  public synchronized void close() {
    tokenizer.close();
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }
}
