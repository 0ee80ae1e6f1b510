package dev.sparkmerge.eval.task;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One model's scores on every task, by task name, and their {@link #meanLoss()}: the unweighted
 * mean of the tasks' losses (each task counts once, whatever its size).
 */
public final class ModelScores implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String model;
  private final SortedMap<String, TaskScore> tasks;

  /**
   * @param model the model as the user named it
   * @param tasks at least one
   */
  public ModelScores(String model, Map<String, TaskScore> tasks) {
    this.model = Objects.requireNonNull(model, "model");
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException(model + ": scores need at least one task");
    }
    this.tasks = Collections.unmodifiableSortedMap(new TreeMap<>(tasks));
  }

  /** The model as the user named it (a path, or base+adapter). */
  public String model() {
    return model;
  }

  /** Scores by task name, in name order. */
  public SortedMap<String, TaskScore> tasks() {
    return tasks;
  }

  /** Unweighted mean of the tasks' losses, summed in task-name order. */
  public double meanLoss() {
    double sum = 0;
    for (TaskScore s : tasks.values()) {
      sum += s.loss();
    }
    return sum / tasks.size();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelScores && model.equals(((ModelScores) o).model)
        && tasks.equals(((ModelScores) o).tasks);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, tasks);
  }

  @Override
  public String toString() {
    return model + ": mean loss " + meanLoss() + " over " + tasks.size() + " tasks";
  }
}
