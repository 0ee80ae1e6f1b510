package dev.sparkmerge.engine;

import dev.sparkmerge.config.Constraint;
import dev.sparkmerge.config.MethodCatalog;
import dev.sparkmerge.config.MethodRules;
import dev.sparkmerge.config.ParamRule;
import dev.sparkmerge.method.MergeMethod;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.method.ParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The merge methods' parameter schemas, as the config validator needs them. */
public final class RegistryCatalog implements MethodCatalog {
  public static final RegistryCatalog INSTANCE = new RegistryCatalog();

  private RegistryCatalog() {}

  @Override
  public Set<String> methodNames() {
    return MethodRegistry.names();
  }

  @Override
  public MethodRules rules(String name) {
    MergeMethod m = MethodRegistry.get(name);
    List<ParamRule> rules = new ArrayList<>();
    for (ParameterSpec p : m.parameters().specs()) {
      rules.add(toRule(p));
    }
    List<Constraint> constraints = new ArrayList<>();
    if (m.parameters().get("density") != null && m.parameters().get("epsilon") != null) {
      constraints.add(new DensityEpsilonBounds());
    }
    return new MethodRules(m.baseModelUse() == MergeMethod.BaseModelUse.REQUIRED, rules,
        constraints);
  }

  /** DELLA: keep probabilities density ± epsilon must lie in (0, 1) unless density is 1. */
  private static final class DensityEpsilonBounds implements Constraint {
    @Override
    public List<String> parameters() {
      return List.of("density", "epsilon");
    }

    @Override
    public String check(java.util.Map<String, Double> values) {
      double d = values.get("density") == null ? 1.0 : values.get("density");
      double e = values.get("epsilon") == null ? 0.15 : values.get("epsilon");
      if (d >= 1 || (d - e > 0 && d + e < 1)) {
        return null;
      }
      return "density " + d + " and epsilon " + e + " put keep probabilities outside (0, 1);"
          + " choose density in (epsilon, 1 - epsilon) or a smaller epsilon.";
    }
  }

  private static ParamRule toRule(ParameterSpec p) {
    boolean perModel = p.scope == ParameterSpec.Scope.PER_MODEL;
    switch (p.type) {
      case BOOLEAN:
        return new ParamRule(p.name, perModel, ParamRule.Kind.BOOLEAN, p.required, 0, 1, false,
            false, null);
      case CHOICE:
        return new ParamRule(p.name, perModel, ParamRule.Kind.CHOICE, p.required, 0, 0, false,
            false, p.choices);
      case INTEGER:
        return new ParamRule(p.name, perModel, ParamRule.Kind.INTEGER, p.required, p.min, p.max,
            false, false, null);
      default:
        return new ParamRule(p.name, perModel, ParamRule.Kind.NUMBER, p.required, p.min, p.max,
            p.minExclusive, false, null);
    }
  }
}
