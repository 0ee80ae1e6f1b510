package dev.sparkmerge.engine;

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
    return new MethodRules(m.baseModelUse() == MergeMethod.BaseModelUse.REQUIRED, rules);
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
            false, false, null);
    }
  }
}
