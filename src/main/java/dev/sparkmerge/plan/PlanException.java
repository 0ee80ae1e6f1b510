package dev.sparkmerge.plan;

import java.util.List;

/** Problems found while planning (inputs missing, shapes that cannot merge, bad parameters). */
public final class PlanException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public PlanException(String problem) {
    this(List.of(problem));
  }

  public PlanException(List<String> problems) {
    super(problems.size() == 1 ? problems.get(0)
        : problems.size() + " problems found while planning:\n  " + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
