package dev.sparkmerge.config;

import java.util.List;

/**
 * One parameter a method reads, as the config validator sees it. Bounds are inclusive unless the
 * matching {@code ...Exclusive} flag is set (density is in (0, 1]); use ±infinity for unbounded.
 */
public final class ParamRule {
  public enum Kind {
    NUMBER,
    /** A whole number; may not vary across layers. */
    INTEGER,
    /** true/false (or 1/0, as mergekit coerces booleans); may not vary across layers. */
    BOOLEAN,
    /** One of {@link #choices}, written as a string (our extensions only; mergekit has none). */
    CHOICE
  }

  public final String name;
  /** Read per (model, tensor) with source → slice → top lookup, else once per tensor. */
  public final boolean perModel;
  public final Kind kind;
  /** Must resolve (for every non-base source when per-model). */
  public final boolean required;
  public final double min;
  public final double max;
  public final boolean minExclusive;
  public final boolean maxExclusive;
  public final List<String> choices;

  public ParamRule(
      String name,
      boolean perModel,
      Kind kind,
      boolean required,
      double min,
      double max,
      boolean minExclusive,
      boolean maxExclusive,
      List<String> choices) {
    this.name = name;
    this.perModel = perModel;
    this.kind = kind;
    this.required = required;
    this.min = min;
    this.max = max;
    this.minExclusive = minExclusive;
    this.maxExclusive = maxExclusive;
    this.choices = choices == null ? List.of() : List.copyOf(choices);
  }

  /** A number in [min, max]. */
  public static ParamRule number(
      String name, boolean perModel, boolean required, double min, double max) {
    return new ParamRule(name, perModel, Kind.NUMBER, required, min, max, false, false, null);
  }

  /** A number in (min, max]. */
  public static ParamRule numberAboveMin(
      String name, boolean perModel, boolean required, double min, double max) {
    return new ParamRule(name, perModel, Kind.NUMBER, required, min, max, true, false, null);
  }

  /** A number without bounds. */
  public static ParamRule anyNumber(String name, boolean perModel, boolean required) {
    return number(name, perModel, required, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
  }

  public static ParamRule integer(String name, boolean perModel, double min, double max) {
    return new ParamRule(name, perModel, Kind.INTEGER, false, min, max, false, false, null);
  }

  /** A global true/false flag. */
  public static ParamRule flag(String name) {
    return new ParamRule(name, false, Kind.BOOLEAN, false, 0, 1, false, false, null);
  }

  /** A global string choice. */
  public static ParamRule choice(String name, List<String> choices) {
    return new ParamRule(name, false, Kind.CHOICE, false, 0, 0, false, false, choices);
  }

  /** True when {@code v} is within the bounds. */
  public boolean inRange(double v) {
    if (Double.isNaN(v)) {
      return false;
    }
    boolean aboveMin = minExclusive ? v > min : v >= min;
    boolean belowMax = maxExclusive ? v < max : v <= max;
    return aboveMin && belowMax;
  }

  /** The range in interval notation, e.g. {@code (0, 1]} or {@code [0, inf)}. */
  public String rangeText() {
    return (minExclusive || Double.isInfinite(min) ? "(" : "[") + fmt(min) + ", " + fmt(max)
        + (maxExclusive || Double.isInfinite(max) ? ")" : "]");
  }

  static String fmt(double d) {
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
