package dev.sparkmerge.method;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parameters one merge method reads, and validation of values against them. */
public final class ParameterSchema implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String method;
  private final LinkedHashMap<String, ParameterSpec> specs = new LinkedHashMap<>();

  public ParameterSchema(String method, List<ParameterSpec> specs) {
    this.method = method;
    for (ParameterSpec s : specs) {
      if (this.specs.put(s.name, s) != null) {
        throw new IllegalArgumentException("duplicate parameter " + s.name);
      }
    }
  }

  public List<ParameterSpec> specs() {
    return List.copyOf(specs.values());
  }

  public ParameterSpec get(String name) {
    return specs.get(name);
  }

  /**
   * Validates every value (names, scopes, types, ranges, required values) and returns typed access
   * with defaults applied.
   *
   * @throws MergeException naming the first offending parameter, its value and what to do
   */
  public ParameterValues bind(MethodParameters params) {
    // Names first: a misplaced or misspelled name explains a "missing" value better.
    for (String key : params.global().keySet()) {
      check(key, ParameterSpec.Scope.GLOBAL, -1);
    }
    for (int m = 0; m < params.modelCount(); m++) {
      for (String key : params.perModel().get(m).keySet()) {
        check(key, ParameterSpec.Scope.PER_MODEL, m);
      }
    }
    Map<String, Object> global = new LinkedHashMap<>();
    for (ParameterSpec s : specs.values()) {
      if (s.scope == ParameterSpec.Scope.GLOBAL) {
        Object v = params.global().get(s.name);
        global.put(s.name, v == null ? defaultOrFail(s, -1) : convert(s, v, -1));
      }
    }
    List<Map<String, Object>> perModel = new ArrayList<>();
    for (int m = 0; m < params.modelCount(); m++) {
      Map<String, Object> given = params.perModel().get(m);
      Map<String, Object> values = new LinkedHashMap<>();
      for (ParameterSpec s : specs.values()) {
        if (s.scope == ParameterSpec.Scope.PER_MODEL) {
          Object v = given.get(s.name);
          values.put(s.name, v == null ? defaultOrFail(s, m) : convert(s, v, m));
        }
      }
      perModel.add(values);
    }
    return new ParameterValues(method, global, perModel);
  }

  /**
   * Names in {@code params} this method does not read but another method does (e.g. {@code weight}
   * given to sce): mergekit ignores them and so do we, so shared configs keep working. The config
   * layer should warn about them. Any other unknown name is an error in {@link #bind}.
   */
  public java.util.Set<String> ignoredNames(MethodParameters params) {
    java.util.Set<String> ignored = new java.util.TreeSet<>();
    java.util.List<java.util.Map<String, Object>> maps = new ArrayList<>(params.perModel());
    maps.add(params.global());
    for (java.util.Map<String, Object> m : maps) {
      for (String key : m.keySet()) {
        if (!specs.containsKey(key) && MethodRegistry.parameterNames().contains(key)) {
          ignored.add(key);
        }
      }
    }
    return ignored;
  }

  private void check(String key, ParameterSpec.Scope scope, int model) {
    ParameterSpec s = specs.get(key);
    if (s == null && MethodRegistry.parameterNames().contains(key)) {
      return; // another method's parameter: ignored, as mergekit does (see ignoredNames)
    }
    if (s == null) {
      String hint = specs.isEmpty()
          ? " It takes no parameters."
          : " Did you mean '" + Suggestions.closest(key, specs.keySet()) + "'? Known parameters: "
              + String.join(", ", specs.keySet()) + ".";
      throw new MergeException(
          "merge method '" + method + "' has no parameter '" + key + "'" + where(model) + "."
              + hint);
    }
    if (s.scope != scope) {
      throw new MergeException(
          "merge method '" + method + "': parameter '" + key + "' is "
              + (s.scope == ParameterSpec.Scope.GLOBAL
                  ? "global; set it in the top-level (or slice) parameters, not for one model."
                  : "per model; set it in each model's parameters (or at top level for all)."));
    }
  }

  private Object defaultOrFail(ParameterSpec s, int model) {
    if (s.required) {
      throw new MergeException(
          "merge method '" + method + "' needs parameter '" + s.name + "'" + where(model)
              + " but it is not set. Add '" + s.name + ": <value>' to "
              + (model >= 0 ? "that model's parameters." : "the parameters."));
    }
    return s.defaultValue;
  }

  private Object convert(ParameterSpec s, Object v, int model) {
    switch (s.type) {
      case BOOLEAN:
        if (v instanceof Boolean) {
          return v;
        }
        if (v instanceof Number) {
          return ((Number) v).doubleValue() != 0; // mergekit coerces booleans to 1.0/0.0
        }
        throw bad(s, v, model, "expected true or false");
      case CHOICE:
        if (v instanceof String && s.choices.contains(v)) {
          return v;
        }
        throw bad(s, v, model, "expected one of " + s.choices
            + (v instanceof String ? " (closest: '" + Suggestions.closest((String) v, s.choices)
                + "')" : ""));
      case INTEGER:
      case NUMBER:
        double d;
        if (v instanceof Number) {
          d = ((Number) v).doubleValue();
        } else if (v instanceof String) {
          try {
            d = Double.parseDouble(((String) v).trim()); // numeric strings, as pydantic accepts
          } catch (NumberFormatException e) {
            throw bad(s, v, model, "expected a number");
          }
        } else {
          throw bad(s, v, model, "expected a number");
        }
        if (Double.isNaN(d) || d < s.min || (s.minExclusive && d == s.min) || d > s.max) {
          throw bad(s, v, model, "allowed range is " + (s.minExclusive ? "(" : "[") + fmt(s.min)
              + ", " + fmt(s.max) + "]");
        }
        if (s.type == ParameterSpec.Type.INTEGER && d != Math.rint(d)) {
          throw bad(s, v, model, "expected a whole number");
        }
        return d;
      default:
        throw new IllegalStateException();
    }
  }

  private MergeException bad(ParameterSpec s, Object v, int model, String rule) {
    return new MergeException(
        "merge method '" + method + "': parameter '" + s.name + "'" + where(model) + " is " + v
            + "; " + rule + ". Change the value in the config.");
  }

  private static String where(int model) {
    return model >= 0 ? " of model " + model : "";
  }

  private static String fmt(double d) {
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
