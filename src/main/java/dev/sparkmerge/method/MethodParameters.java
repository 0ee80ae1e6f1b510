package dev.sparkmerge.method;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameter values as the config layer resolved them for one tensor (gradients, filters and
 * precedence already applied): global values, and one map per non-base model in config order.
 * Values are Double, Boolean or String. Absent keys mean "not set" (the default applies).
 */
public final class MethodParameters implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LinkedHashMap<String, Object> global;
  private final ArrayList<LinkedHashMap<String, Object>> perModel;

  public MethodParameters(Map<String, ?> global, List<? extends Map<String, ?>> perModel) {
    this.global = new LinkedHashMap<>(global);
    this.perModel = new ArrayList<>();
    for (Map<String, ?> m : perModel) {
      this.perModel.add(new LinkedHashMap<>(m));
    }
  }

  public static MethodParameters empty(int modelCount) {
    List<Map<String, Object>> models = new ArrayList<>();
    for (int i = 0; i < modelCount; i++) {
      models.add(Map.of());
    }
    return new MethodParameters(Map.of(), models);
  }

  public Map<String, Object> global() {
    return global;
  }

  public List<? extends Map<String, Object>> perModel() {
    return perModel;
  }

  public int modelCount() {
    return perModel.size();
  }
}
