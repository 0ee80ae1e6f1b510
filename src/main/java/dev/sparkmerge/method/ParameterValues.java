package dev.sparkmerge.method;

import java.util.List;
import java.util.Map;

/** Validated parameter values of one tensor, with defaults applied. Built by {@link ParameterSchema}. */
public final class ParameterValues {
  private final String method;
  private final Map<String, Object> global;
  private final List<Map<String, Object>> perModel;

  ParameterValues(String method, Map<String, Object> global, List<Map<String, Object>> perModel) {
    this.method = method;
    this.global = global;
    this.perModel = perModel;
  }

  public String method() {
    return method;
  }

  public int modelCount() {
    return perModel.size();
  }

  public double number(String name) {
    return (Double) require(global, name);
  }

  public double number(String name, int model) {
    return (Double) require(perModel.get(model), name);
  }

  /** A per-model number for every model, in model order. */
  public double[] numbers(String name) {
    double[] v = new double[perModel.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = number(name, i);
    }
    return v;
  }

  /** A per-model number that may be unset (no default): null when unset. */
  public Double optionalNumber(String name, int model) {
    return (Double) perModel.get(model).get(name);
  }

  public boolean flag(String name) {
    return (Boolean) require(global, name);
  }

  public String choice(String name) {
    return (String) require(global, name);
  }

  private Object require(Map<String, Object> values, String name) {
    if (!values.containsKey(name)) {
      throw new IllegalArgumentException(method + " declares no parameter " + name);
    }
    return values.get(name);
  }
}
