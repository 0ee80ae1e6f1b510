package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The {@code parameters:} map of one level (top, slice or source): name → setting, in file order. */
public final class ParameterSet implements Serializable {
  private static final long serialVersionUID = 1L;

  static final ParameterSet EMPTY = new ParameterSet(Map.of());

  private final LinkedHashMap<String, ParameterSetting> settings;

  ParameterSet(Map<String, ParameterSetting> settings) {
    this.settings = new LinkedHashMap<>(settings);
  }

  /** The setting for {@code name}, or null when this level does not set it. */
  public ParameterSetting get(String name) {
    return settings.get(name);
  }

  /** Parameter names in file order. */
  public Set<String> names() {
    return Collections.unmodifiableSet(settings.keySet());
  }

  public Map<String, ParameterSetting> asMap() {
    return Collections.unmodifiableMap(settings);
  }

  public boolean isEmpty() {
    return settings.isEmpty();
  }

  /** Sorted by name: the order parameters are written in does not change what they mean. */
  String canonical() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, ParameterSetting> e : new TreeMap<>(settings).entrySet()) {
      sb.append(ParameterSetting.quote(e.getKey())).append(':')
          .append(e.getValue().canonical()).append(';');
    }
    return sb.append('}').toString();
  }

  @Override
  public String toString() {
    return settings.toString();
  }
}
