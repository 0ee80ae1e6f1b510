package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code output.combination} names of adapter output, after PEFT's
 * {@code add_weighted_adapter(combination_type=...)} (reference/peft-lora.md §4.4), and the
 * {@code merge_method} each one needs. The method's schema validates the per-model parameters
 * (weight, density, ...), so a combination and its method must agree.
 */
final class AdapterCombinations {
  /** Exact combinations of Σ weight·s·B·A: factors only, no dense matrix. */
  static final Set<String> EXACT = Set.of("cat", "svd");

  /**
   * PEFT's dense SVD family: each adapter's ΔW is merged as a task vector by the named method,
   * then reduced by a randomised SVD. magnitude_prune is task arithmetic of magnitude-pruned
   * updates, so it takes task_arithmetic's parameters (whose schema has {@code density}).
   */
  static final Map<String, String> DENSE = orderedMap(
      "ties_svd", "ties",
      "dare_ties_svd", "dare_ties",
      "dare_linear_svd", "dare_linear",
      "magnitude_prune_svd", "task_arithmetic");

  /**
   * PEFT's factor-wise types: PEFT applies them to the A's and, separately, to the B's, so B·A
   * gains cross terms between adapters and is not the named merge of the updates (§4.4). We do
   * not reproduce that; the value is the combination to use instead.
   */
  private static final Map<String, String> FACTOR_WISE = orderedMap(
      "linear", "cat' (exact) or 'svd",
      "ties", "ties_svd",
      "dare_ties", "dare_ties_svd",
      "dare_linear", "dare_linear_svd",
      "magnitude_prune", "magnitude_prune_svd");

  private AdapterCombinations() {}

  private static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  static List<String> valid() {
    List<String> all = new ArrayList<>(List.of("cat", "svd"));
    all.addAll(DENSE.keySet());
    return all;
  }

  static boolean isDense(String combination) {
    return DENSE.containsKey(combination);
  }

  /** Null for a valid name, else why it is refused and what to use. */
  static String problem(String combination) {
    if (EXACT.contains(combination) || DENSE.containsKey(combination)) {
      return null;
    }
    String instead = FACTOR_WISE.get(combination);
    if (instead != null) {
      return "PEFT's '" + combination + "' combines the A factors and, separately, the B"
          + " factors, so B·A gets cross terms between adapters and is not " + combination
          + " of their updates; sparkmerge does not offer it. Use '" + instead + "'"
          + (combination.equals("linear") ? ""
              : ": " + combination + " on each module's dense update, then a randomised SVD"
                  + " to 'rank'") + ".";
    }
    return "unknown combination '" + combination + "'."
        + Suggest.didYouMean(combination.replace('-', '_'), valid()) + " Valid combinations: "
        + String.join(", ", valid()) + ".";
  }

  /** The combination that merges adapters into one adapter with {@code method}, or null. */
  static String forMethod(String method) {
    if (method.equals("task_arithmetic") || method.equals("linear")) {
      return "cat";
    }
    for (Map.Entry<String, String> e : DENSE.entrySet()) {
      if (e.getValue().equals(method)) {
        return e.getKey();
      }
    }
    return null;
  }
}
