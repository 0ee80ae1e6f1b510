package dev.sparkmerge.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A small stand-in for the method registry, with the rules of mergekit's common methods. */
final class FakeCatalog implements MethodCatalog {
  static final FakeCatalog INSTANCE = new FakeCatalog();

  private final Map<String, MethodRules> methods = new LinkedHashMap<>();

  private FakeCatalog() {
    ParamRule weight = ParamRule.anyNumber("weight", true, true);
    ParamRule density = ParamRule.numberAboveMin("density", true, false, 0, 1);
    methods.put("linear", new MethodRules(false, List.of(weight, ParamRule.flag("normalize"))));
    methods.put("slerp", new MethodRules(true, List.of(ParamRule.number("t", false, true, 0, 1))));
    methods.put("passthrough", new MethodRules(false,
        List.of(ParamRule.anyNumber("scale", true, false))));
    methods.put("task_arithmetic", new MethodRules(true, List.of(weight,
        ParamRule.flag("normalize"), ParamRule.anyNumber("lambda", false, false))));
    methods.put("ties", new MethodRules(true, List.of(weight, density,
        ParamRule.flag("normalize"), ParamRule.flag("int8_mask"), ParamRule.flag("rescale"),
        ParamRule.anyNumber("lambda", false, false),
        ParamRule.choice("consensus", List.of("sum", "count")))));
    methods.put("dare_ties", new MethodRules(true, List.of(weight, density,
        ParamRule.flag("normalize"), ParamRule.flag("rescale"))));
    methods.put("della", new MethodRules(true, List.of(weight, density,
        new ParamRule("epsilon", true, ParamRule.Kind.NUMBER, false, 0, 0.5, false, true, null),
        ParamRule.flag("normalize")), List.of(new DellaBounds())));
    methods.put("model_stock", new MethodRules(true, List.of(ParamRule.flag("filter_wise"))));
    methods.put("karcher", new MethodRules(false, List.of(
        ParamRule.integer("max_iter", false, 1, 10_000),
        ParamRule.number("tol", false, false, 0, Double.POSITIVE_INFINITY))));
  }

  /** DELLA: density ± epsilon must lie in (0, 1) unless density is 1 (then nothing is pruned). */
  private static final class DellaBounds implements Constraint {
    @Override
    public List<String> parameters() {
      return List.of("density", "epsilon");
    }

    @Override
    public String check(Map<String, Double> values) {
      double d = values.get("density") == null ? 1.0 : values.get("density");
      double e = values.get("epsilon") == null ? 0.15 : values.get("epsilon");
      if (d >= 1 || (d - e > 0 && d + e < 1)) {
        return null;
      }
      return "density " + d + " and epsilon " + e + " put keep probabilities outside (0, 1); "
          + "choose density in (epsilon, 1 - epsilon) or a smaller epsilon.";
    }
  }

  @Override
  public Set<String> methodNames() {
    return methods.keySet();
  }

  @Override
  public MethodRules rules(String method) {
    return methods.get(method);
  }
}
