package dev.sparkmerge.engine;

import java.io.Serializable;

/**
 * One model to evaluate: a grid candidate, a merged output, or an input (parent) of the merge. The
 * name is how reports show it (a candidate id, or the model reference as written); path and
 * adapter say what to load (a model directory, and a LoRA adapter applied on the fly or null).
 */
public final class EvalSubject implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What a subject is to the job, as written to eval.json and the scores table. */
  public enum Role {
    MODEL("model"), CANDIDATE("candidate"), INPUT("input");

    private final String label;

    Role(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final String name;
  private final Role role;
  private final String path;
  private final String adapter;

  public EvalSubject(String name, Role role, String path, String adapter) {
    this.name = name;
    this.role = role;
    this.path = path;
    this.adapter = adapter;
  }

  public String name() {
    return name;
  }

  public Role role() {
    return role;
  }

  /** The model directory (any Hadoop URI). */
  public String path() {
    return path;
  }

  /** The LoRA adapter applied on top of {@link #path()}, or null. */
  public String adapter() {
    return adapter;
  }

  /** Identifies the weights to load: equal for subjects that are the same model. */
  String weightsKey() {
    return path + "+" + (adapter == null ? "" : adapter);
  }

  @Override
  public String toString() {
    return name;
  }
}
