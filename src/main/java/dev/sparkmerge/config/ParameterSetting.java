package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of one parameter at one level of a config, in any of mergekit's shapes: a number, a
 * gradient (list of numbers), {@code {value, filter}}, or a list of those whose values may
 * themselves be gradients (reference/mergekit.md §1.1, §2.5). Our extension parameters may also
 * hold a string ({@link #choice(String)}); the loader only allows that where the method's rules
 * declare a CHOICE parameter.
 *
 * <p>Internally every shape is a list of entries tried in order; a plain value is one entry with
 * no filter.
 */
public final class ParameterSetting implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One {@code {value, filter}} entry: a gradient (one anchor for a scalar) or a choice. */
  static final class Entry implements Serializable {
    private static final long serialVersionUID = 1L;

    final String filter;
    final double[] anchors;
    final String choice;

    Entry(String filter, double[] anchors, String choice) {
      if ((anchors == null) == (choice == null)) {
        throw new IllegalArgumentException("an entry holds either numbers or a choice");
      }
      this.filter = filter;
      this.anchors = anchors == null ? null : anchors.clone();
      this.choice = choice;
    }

    /** Null and "*" match every tensor; anything else is a plain case-sensitive substring. */
    boolean matches(String tensorName) {
      return filter == null || filter.equals("*") || tensorName.contains(filter);
    }
  }

  private final List<Entry> entries;
  /** True when written as {@code {value, filter}} or a list of them (affects display only). */
  private final boolean conditional;

  ParameterSetting(List<Entry> entries, boolean conditional) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a parameter setting needs at least one value");
    }
    this.entries = List.copyOf(entries);
    this.conditional = conditional;
  }

  /** A constant number, for callers and tests. */
  public static ParameterSetting scalar(double value) {
    return new ParameterSetting(List.of(new Entry(null, new double[] {value}, null)), false);
  }

  /** A gradient over the layers of a slice. */
  public static ParameterSetting gradient(double... anchors) {
    return new ParameterSetting(List.of(new Entry(null, anchors, null)), false);
  }

  /** A string value for a CHOICE parameter (our extensions only). */
  public static ParameterSetting ofChoice(String value) {
    return new ParameterSetting(List.of(new Entry(null, null, value)), false);
  }

  List<Entry> entries() {
    return entries;
  }

  boolean conditional() {
    return conditional;
  }

  /**
   * The number for tensor {@code tensorName} at layer position {@code t}: the first entry whose
   * filter matches, its gradient evaluated at t ({@link Gradients#evaluate}). Null when no entry
   * matches, so lookup continues at the next level.
   *
   * @throws IllegalStateException if the matching entry is a string (validation prevents this for
   *     numeric parameters)
   */
  public Double evaluate(String tensorName, double t) {
    for (Entry e : entries) {
      if (e.matches(tensorName)) {
        if (e.anchors == null) {
          throw new IllegalStateException("parameter value '" + e.choice + "' is not a number");
        }
        return Gradients.evaluate(e.anchors, t);
      }
    }
    return null;
  }

  /**
   * The string for tensor {@code tensorName}: the first matching entry's choice, or null when no
   * entry matches.
   *
   * @throws IllegalStateException if the matching entry is a number
   */
  public String choice(String tensorName) {
    for (Entry e : entries) {
      if (e.matches(tensorName)) {
        if (e.choice == null) {
          throw new IllegalStateException("parameter value is a number, not one of a set of names");
        }
        return e.choice;
      }
    }
    return null;
  }

  /** The string of an unfiltered string setting such as {@code consensus: count}, else null. */
  public String choice() {
    Entry first = entries.get(0);
    return entries.size() == 1 && first.filter == null ? first.choice : null;
  }

  /** True when the value is a string choice rather than numbers. */
  public boolean isChoice() {
    return entries.get(0).choice != null;
  }

  /** True when some entry has no filter (or "*"), so every tensor gets a value at this level. */
  public boolean matchesEveryTensor() {
    for (Entry e : entries) {
      if (e.filter == null || e.filter.equals("*")) {
        return true;
      }
    }
    return false;
  }

  /** The filters in entry order (null for an entry without one). */
  public List<String> filters() {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      out.add(e.filter);
    }
    return out;
  }

  /**
   * A canonical text: numbers as Java doubles ({@code 0.5}, {@code 5e-1} and {@code "0.5"} are
   * equal) and a one-anchor gradient written as the scalar it is. Used for the config hash.
   */
  String canonical() {
    StringBuilder sb = new StringBuilder("[");
    for (Entry e : entries) {
      sb.append("{f=").append(e.filter == null || e.filter.equals("*") ? "*" : quote(e.filter));
      sb.append(",v=");
      if (e.choice != null) {
        sb.append(quote(e.choice));
      } else if (e.anchors.length == 1) {
        sb.append(e.anchors[0]);
      } else {
        sb.append('[');
        for (int i = 0; i < e.anchors.length; i++) {
          sb.append(i == 0 ? "" : ",").append(e.anchors[i]);
        }
        sb.append(']');
      }
      sb.append('}');
    }
    return sb.append(']').toString();
  }

  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** The value in YAML-like form, e.g. {@code [0.0, 0.5, 1.0]} or {@code [{filter: mlp, value: 0.3}]}. */
  @Override
  public String toString() {
    if (!conditional) {
      return valueText(entries.get(0));
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      sb.append(i == 0 ? "" : ", ").append('{');
      if (e.filter != null) {
        sb.append("filter: ").append(e.filter).append(", ");
      }
      sb.append("value: ").append(valueText(e)).append('}');
    }
    return sb.append(']').toString();
  }

  private static String valueText(Entry e) {
    if (e.choice != null) {
      return e.choice;
    }
    if (e.anchors.length == 1) {
      return Double.toString(e.anchors[0]);
    }
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < e.anchors.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(e.anchors[i]);
    }
    return sb.append(']').toString();
  }
}
