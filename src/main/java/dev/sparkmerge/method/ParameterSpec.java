package dev.sparkmerge.method;

import java.io.Serializable;
import java.util.List;

/**
 * One parameter a merge method reads: its name as written in a mergekit config, whether it is set
 * per model or once per tensor, its type, its default (null when it has none) and its allowed range.
 * The config layer validates configs against these; {@link ParameterValues} enforces them again.
 */
public final class ParameterSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Where a value comes from (reference/mergekit.md §2.5). */
  public enum Scope {
    PER_MODEL,
    GLOBAL
  }

  public enum Type {
    NUMBER,
    INTEGER,
    BOOLEAN,
    /** One of a fixed set of strings: only our extensions use these (mergekit rejects strings). */
    CHOICE
  }

  public final String name;
  public final Scope scope;
  public final Type type;
  /** Default value (Double, Boolean or String), or null when there is none. */
  public final Object defaultValue;
  /** Missing values are an error (for per-model parameters: for every non-base model). */
  public final boolean required;
  public final double min;
  public final double max;
  /** True when {@link #min} itself is not allowed, as for density in (0, 1]. */
  public final boolean minExclusive;
  public final List<String> choices;
  /** True for parameters mergekit does not have (documented as extensions). */
  public final boolean extension;
  public final String description;

  private ParameterSpec(
      String name,
      Scope scope,
      Type type,
      Object defaultValue,
      boolean required,
      double min,
      double max,
      List<String> choices,
      boolean extension,
      String description) {
    this(name, scope, type, defaultValue, required, min, max, false, choices, extension,
        description);
  }

  private ParameterSpec(
      String name,
      Scope scope,
      Type type,
      Object defaultValue,
      boolean required,
      double min,
      double max,
      boolean minExclusive,
      List<String> choices,
      boolean extension,
      String description) {
    this.minExclusive = minExclusive;
    this.name = name;
    this.scope = scope;
    this.type = type;
    this.defaultValue = defaultValue;
    this.required = required;
    this.min = min;
    this.max = max;
    this.choices = choices;
    this.extension = extension;
    this.description = description;
  }

  public static ParameterSpec number(
      String name, Scope scope, Double def, double min, double max, String description) {
    return new ParameterSpec(name, scope, Type.NUMBER, def, false, min, max, List.of(), false,
        description);
  }

  public static ParameterSpec requiredNumber(
      String name, Scope scope, double min, double max, String description) {
    return new ParameterSpec(name, scope, Type.NUMBER, null, true, min, max, List.of(), false,
        description);
  }

  public static ParameterSpec integer(
      String name, Scope scope, int def, int min, int max, String description) {
    return new ParameterSpec(name, scope, Type.INTEGER, (double) def, false, min, max, List.of(),
        false, description);
  }

  public static ParameterSpec flag(String name, boolean def, String description) {
    return new ParameterSpec(name, Scope.GLOBAL, Type.BOOLEAN, def, false, 0, 1, List.of(), false,
        description);
  }

  public static ParameterSpec choice(
      String name, String def, List<String> choices, String description) {
    return new ParameterSpec(name, Scope.GLOBAL, Type.CHOICE, def, false, 0, 0,
        List.copyOf(choices), true, description);
  }

  /** The same parameter with {@link #min} excluded from the allowed range. */
  public ParameterSpec exclusiveMin() {
    return new ParameterSpec(name, scope, type, defaultValue, required, min, max, true, choices,
        extension, description);
  }

  @Override
  public String toString() {
    return name + " (" + scope.name().toLowerCase() + " " + type.name().toLowerCase()
        + (required ? ", required" : ", default " + defaultValue) + ")";
  }
}
