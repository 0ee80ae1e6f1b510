package dev.sparkmerge.eval.task;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One task file, parsed and checked: its name (the file name without {@code .jsonl}), where it
 * came from, a checksum of its bytes (so that a resumed evaluation can tell the file changed) and
 * its examples, all of one kind.
 */
public final class Task implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final String file;
  private final String sha256;
  private final Example.Kind kind;
  private final List<Example> examples;

  /**
   * @param examples at least one, all of {@code kind}, in file order
   */
  public Task(String name, String file, String sha256, Example.Kind kind,
      List<Example> examples) {
    this.name = Objects.requireNonNull(name, "name");
    this.file = Objects.requireNonNull(file, "file");
    this.sha256 = Objects.requireNonNull(sha256, "sha256");
    this.kind = Objects.requireNonNull(kind, "kind");
    this.examples = List.copyOf(examples);
    if (this.examples.isEmpty()) {
      throw new IllegalArgumentException(file + ": a task needs at least one example");
    }
    for (Example e : this.examples) {
      if (e.kind() != kind) {
        throw new IllegalArgumentException(e + " is not a " + kind.label() + " example");
      }
    }
  }

  /** The file name without {@code .jsonl}; unique within a {@link TaskSet}. */
  public String name() {
    return name;
  }

  /** The file's qualified URI (for example {@code file:/data/tasks/add.jsonl}). */
  public String file() {
    return file;
  }

  /** SHA-256 of the whole file's bytes, lower-case hex (whatever max_examples kept). */
  public String sha256() {
    return sha256;
  }

  public Example.Kind kind() {
    return kind;
  }

  /** The examples evaluated: the file's first max_examples examples, or all of them. */
  public List<Example> examples() {
    return examples;
  }

  /** True if the examples hold text rather than token ids. */
  public boolean needsTokenizer() {
    return kind.needsTokenizer();
  }

  /** True for completion tasks, which report exact_match. */
  public boolean hasExactMatch() {
    return kind.hasExactMatch();
  }

  /** True for multiple-choice tasks, which report accuracy and accuracy_norm. */
  public boolean hasChoices() {
    return kind.hasChoices();
  }

  @Override
  public String toString() {
    return "task " + name + " (" + examples.size() + " " + kind.label() + " examples from "
        + file + ")";
  }
}
