package dev.sparkmerge.eval.task;

import dev.sparkmerge.eval.EvalException;
import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One parsed line of a task file. Its {@link Kind} is fixed by the line's keys; only the fields
 * of that kind are set (the others are null). The file and 1-based line number travel with the
 * example so that errors found while scoring (ids outside the vocabulary, a prompt too long for the
 * context) can name them.
 */
public final class Example implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a line holds, told apart by its keys. */
  public enum Kind {
    /** {@code {"text"}}: language-model loss of the whole text. */
    TEXT("text", true, List.of("text")),
    /** {@code {"prompt", "completion"}}: loss of the completion given the prompt, exact match. */
    COMPLETION("completion", true, List.of("prompt", "completion")),
    /** {@code {"prompt", "choices", "answer"}}: multiple choice by summed log-likelihood. */
    CHOICE("multiple-choice", true, List.of("prompt", "choices", "answer")),
    /** {@code {"ids"}}: a pre-tokenized text. */
    TEXT_IDS("pre-tokenized text", false, List.of("ids")),
    /** {@code {"prompt_ids", "completion_ids"}}: a pre-tokenized prompt and completion. */
    COMPLETION_IDS("pre-tokenized completion", false, List.of("prompt_ids", "completion_ids"));

    private final String label;
    private final boolean needsTokenizer;
    private final List<String> keys;

    Kind(String label, boolean needsTokenizer, List<String> keys) {
      this.label = label;
      this.needsTokenizer = needsTokenizer;
      this.keys = keys;
    }

    /** Words for messages: "a multiple-choice example". */
    public String label() {
      return label;
    }

    /** True if examples of this kind hold text, which only a tokenizer turns into ids. */
    public boolean needsTokenizer() {
      return needsTokenizer;
    }

    /** The keys a line of this kind has: all of them, and no others. */
    public List<String> keys() {
      return keys;
    }

    /** True for the kinds scored by greedy decoding as well as by loss. */
    public boolean hasExactMatch() {
      return this == COMPLETION || this == COMPLETION_IDS;
    }

    /** True for multiple choice (accuracy and accuracy_norm). */
    public boolean hasChoices() {
      return this == CHOICE;
    }
  }

  private final Kind kind;
  private final String file;
  private final int line;
  private final String text;
  private final String prompt;
  private final String completion;
  private final List<String> choices;
  private final int answer;
  private final int[] ids;
  private final int[] promptIds;
  private final int[] completionIds;

  private Example(Kind kind, String file, int line, String text, String prompt,
      String completion, List<String> choices, int answer, int[] ids, int[] promptIds,
      int[] completionIds) {
    this.kind = kind;
    this.file = Objects.requireNonNull(file, "file");
    this.line = line;
    this.text = text;
    this.prompt = prompt;
    this.completion = completion;
    this.choices = choices;
    this.answer = answer;
    this.ids = ids;
    this.promptIds = promptIds;
    this.completionIds = completionIds;
  }

  public static Example text(String file, int line, String text) {
    return new Example(Kind.TEXT, file, line, Objects.requireNonNull(text), null, null, null,
        -1, null, null, null);
  }

  public static Example completion(String file, int line, String prompt, String completion) {
    return new Example(Kind.COMPLETION, file, line, null, Objects.requireNonNull(prompt),
        Objects.requireNonNull(completion), null, -1, null, null, null);
  }

  public static Example choice(String file, int line, String prompt, List<String> choices,
      int answer) {
    if (answer < 0 || answer >= choices.size()) {
      throw new IllegalArgumentException("answer " + answer + " outside the choices");
    }
    return new Example(Kind.CHOICE, file, line, null, Objects.requireNonNull(prompt), null,
        List.copyOf(choices), answer, null, null, null);
  }

  public static Example textIds(String file, int line, int[] ids) {
    return new Example(Kind.TEXT_IDS, file, line, null, null, null, null, -1, ids.clone(), null,
        null);
  }

  public static Example completionIds(String file, int line, int[] promptIds,
      int[] completionIds) {
    return new Example(Kind.COMPLETION_IDS, file, line, null, null, null, null, -1, null,
        promptIds.clone(), completionIds.clone());
  }

  public Kind kind() {
    return kind;
  }

  /** The task file this line comes from (as {@link Task#file()}). */
  public String file() {
    return file;
  }

  /** 1-based line number in {@link #file()}. */
  public int line() {
    return line;
  }

  /** "FILE: line N" for messages. */
  public String where() {
    return file + ": line " + line;
  }

  /** TEXT only. */
  public String text() {
    return text;
  }

  /** COMPLETION and CHOICE. */
  public String prompt() {
    return prompt;
  }

  /** COMPLETION only. */
  public String completion() {
    return completion;
  }

  /** CHOICE only: at least two non-empty choices. */
  public List<String> choices() {
    return choices;
  }

  /** CHOICE only: index of the right choice. */
  public int answer() {
    return answer;
  }

  /** TEXT_IDS only (a copy). */
  public int[] ids() {
    return ids == null ? null : ids.clone();
  }

  /** COMPLETION_IDS only (a copy). */
  public int[] promptIds() {
    return promptIds == null ? null : promptIds.clone();
  }

  /** COMPLETION_IDS only (a copy). */
  public int[] completionIds() {
    return completionIds == null ? null : completionIds.clone();
  }

  /**
   * The error for a text example met without a tokenizer.
   *
   * @param model the model as the user named it, or null if unknown
   */
  EvalException missingTokenizer(String model) {
    String key = kind == Kind.TEXT ? "text" : "prompt";
    String who = model == null ? "no tokenizer was loaded for the model"
        : "the model " + model + " has no " + TextTokenizer.FILE_NAME;
    return new EvalException(where() + ", key \"" + key + "\": a " + kind.label()
        + " example holds text, but " + who + ". Text tasks need the model's tokenizer;"
        + " pre-tokenized tasks (\"ids\", \"prompt_ids\" + \"completion_ids\") work without"
        + " one.");
  }

  @Override
  public String toString() {
    return kind.label() + " example at " + where();
  }
}
