package dev.sparkmerge.method;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every merge method by its {@code merge_method} name. */
public final class MethodRegistry {
  private static final Map<String, MergeMethod> METHODS = build();

  private MethodRegistry() {}

  private static Map<String, MergeMethod> build() {
    List<MergeMethod> all = new ArrayList<>();
    all.add(new LinearMethod());
    all.add(new SlerpMethod());
    all.add(new NuSlerpMethod());
    all.add(new MultiSlerpMethod());
    all.add(new KarcherMethod());
    all.addAll(TaskVectorMethod.all());
    all.add(new SceMethod());
    all.add(new ModelStockMethod());
    all.add(new NearSwapMethod());
    all.add(new ArceeFusionMethod());
    all.addAll(RamMethod.all());
    all.add(new PassthroughMethod());
    Map<String, MergeMethod> byName = new LinkedHashMap<>();
    for (MergeMethod m : all) {
      if (byName.put(m.name(), m) != null) {
        throw new IllegalStateException("two methods named " + m.name());
      }
    }
    return Collections.unmodifiableMap(byName);
  }

  private static final Set<String> PARAMETER_NAMES = collectParameterNames();

  private static Set<String> collectParameterNames() {
    Set<String> names = new java.util.TreeSet<>();
    for (MergeMethod m : METHODS.values()) {
      for (ParameterSpec s : m.parameters().specs()) {
        names.add(s.name);
      }
    }
    return Collections.unmodifiableSet(names);
  }

  /** Every parameter name some registered method reads. */
  public static Set<String> parameterNames() {
    return PARAMETER_NAMES;
  }

  /** The registered names, in registration order. */
  public static Set<String> names() {
    return METHODS.keySet();
  }

  /**
   * The method for a {@code merge_method} value.
   *
   * @throws MergeException for an unknown name, suggesting the closest valid one
   */
  public static MergeMethod get(String name) {
    MergeMethod m = METHODS.get(name);
    if (m == null) {
      throw new MergeException("unknown merge_method '" + name + "'. Did you mean '"
          + Suggestions.closest(name == null ? "" : name, METHODS.keySet()) + "'? Valid methods: "
          + String.join(", ", METHODS.keySet()) + ".");
    }
    return m;
  }
}
