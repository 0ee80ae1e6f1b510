package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The config-level contract of one merge method: whether it needs a base, and its parameters. */
public final class MethodRules {
  public final boolean baseModelRequired;
  /** In declaration order (used when listing valid names in messages). */
  public final List<ParamRule> params;
  /** Rules over several parameters at once (may be empty). */
  public final List<Constraint> constraints;

  private final Map<String, ParamRule> byName = new LinkedHashMap<>();

  public MethodRules(boolean baseModelRequired, List<ParamRule> params) {
    this(baseModelRequired, params, List.of());
  }

  public MethodRules(
      boolean baseModelRequired, List<ParamRule> params, List<Constraint> constraints) {
    this.baseModelRequired = baseModelRequired;
    this.params = List.copyOf(params);
    this.constraints = List.copyOf(constraints);
    for (ParamRule p : params) {
      if (byName.put(p.name, p) != null) {
        throw new IllegalArgumentException("parameter " + p.name + " declared twice");
      }
    }
    for (Constraint c : constraints) {
      if (!byName.keySet().containsAll(c.parameters())) {
        throw new IllegalArgumentException("constraint on undeclared parameters " + c.parameters());
      }
    }
  }

  /** The rule for {@code name}, or null when the method does not take that parameter. */
  public ParamRule param(String name) {
    return byName.get(name);
  }

  /** Parameter names in declaration order. */
  public List<String> paramNames() {
    return Collections.unmodifiableList(new ArrayList<>(byName.keySet()));
  }
}
