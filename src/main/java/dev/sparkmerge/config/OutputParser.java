package dev.sparkmerge.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads the top-level {@code output:} key (an extension): {@code model} (default), {@code adapter},
 * or {@code {type: adapter, combination: NAME, rank: N}}. Adapter output combines LoRA adapters of
 * one base: {@code cat} / {@code svd} as Σ weight·s·B·A (merge_method {@code task_arithmetic} or
 * {@code linear}); PEFT's dense family ({@code ties_svd}, {@code dare_ties_svd},
 * {@code dare_linear_svd}, {@code magnitude_prune_svd}) with the matching merge method, whose
 * parameters apply, and an explicit {@code rank}. {@code svd} also takes {@code solver}; both
 * {@code svd} and the dense family take the randomised SVD's {@code oversampling} and
 * {@code power_iterations} and PEFT's {@code clamp}. Only {@code BASE+ADAPTER} models of the
 * config's base.
 */
final class OutputParser {
  private static final Set<String> KEYS = new LinkedHashSet<>(
      List.of("type", "combination", "rank", "solver", "oversampling", "power_iterations",
          "clamp"));
  /** {@code svd}'s solvers (SvdSolver's config names; config does not depend on lora). */
  static final List<String> SOLVERS = List.of("auto", "exact", "randomized");
  /** Halko et al.'s recommendations: p = 10 extra sketch columns, q = 2 power iterations. */
  static final int DEFAULT_OVERSAMPLING = 10;
  static final int DEFAULT_POWER_ITERATIONS = 2;

  private OutputParser() {}

  static OutputSpec parse(Fields top, String method, ModelRef base, boolean slicesSyntax,
      List<SliceSpec> slices, Problems problems) {
    Node node = top.get("output");
    if (node == null || Scalars.isNull(node)) {
      return OutputSpec.MODEL;
    }
    String type;
    String combination = "cat";
    Node combinationNode = node;
    Fields f = null;
    if (node instanceof ScalarNode) {
      type = ((ScalarNode) node).getValue();
    } else if (node instanceof MappingNode) {
      f = Fields.read((MappingNode) node, "output", KEYS, List.of(), problems);
      type = f.get("type") instanceof ScalarNode ? ((ScalarNode) f.get("type")).getValue()
          : "model";
      if (f.get("combination") instanceof ScalarNode) {
        combinationNode = f.get("combination");
        combination = ((ScalarNode) combinationNode).getValue().trim();
      } else if (f.has("combination")) {
        problems.add(f.get("combination"), "output.combination", "expected a combination"
            + " name (" + String.join(", ", AdapterCombinations.valid()) + "), found "
            + Scalars.show(f.get("combination")) + ".");
      }
    } else {
      problems.add(node, "output", "expected 'model', 'adapter' or a mapping with 'type',"
          + " 'combination' and 'rank'.");
      return OutputSpec.MODEL;
    }
    if (type.equals("model")) {
      return OutputSpec.MODEL;
    }
    if (!type.equals("adapter")) {
      problems.add(node, "output", "unknown output type '" + type + "'; use 'model', 'adapter'"
          + " or 'bake'.");
      return OutputSpec.MODEL;
    }
    checkCombination(combination, combinationNode, method, top.get("merge_method"), problems);
    boolean dense = AdapterCombinations.isDense(combination);
    int rank = wholeNumber(f, "rank", 1, 0, problems);
    if (dense && (f == null || !f.has("rank"))) {
      problems.add(node, "output.rank", "'" + combination + "' needs 'rank': the merged update"
          + " is not low-rank any more, so choose the rank of the output adapter (e.g. 'rank:"
          + " 16'; PEFT would take the largest input rank).");
    }
    String solver = solver(f, combination, dense, problems);
    int oversampling = wholeNumber(f, "oversampling", 0, DEFAULT_OVERSAMPLING, problems);
    int powerIterations = wholeNumber(f, "power_iterations", 0, DEFAULT_POWER_ITERATIONS,
        problems);
    for (String key : List.of("oversampling", "power_iterations")) {
      if (!dense && !combination.equals("svd") && f != null && f.has(key)) {
        problems.add(f.keyNode(key), "output." + key, "tunes the randomised SVD of 'svd' and"
            + " the dense combinations (" + String.join(", ", AdapterCombinations.DENSE.keySet())
            + "); '" + combination + "' does not use one. Remove it.");
      }
    }
    double clamp = clamp(f, combination, problems);
    checkSources(node, base, slicesSyntax, slices, problems);
    return new OutputSpec(true, combination, rank, solver, oversampling, powerIterations, clamp);
  }

  /** PEFT's {@code svd_clamp} as {@code clamp: q}, 0 < q ≤ 1; 0 when absent. */
  private static double clamp(Fields f, String combination, Problems problems) {
    if (f == null || !f.has("clamp")) {
      return 0;
    }
    Node n = f.get("clamp");
    if (combination.equals("cat")) {
      problems.add(f.keyNode("clamp"), "output.clamp", "clamps the factors of an SVD ('svd' and"
          + " the dense combinations); 'cat' keeps the factors as they are. Remove it.");
      return 0;
    }
    Double v = n instanceof ScalarNode && !Scalars.isBool((ScalarNode) n)
        ? Scalars.number((ScalarNode) n) : null;
    if (v == null || !(v > 0 && v <= 1)) {
      problems.add(n, "output.clamp", "'clamp' is the quantile of the factors' entries to clamp"
          + " them to, a number in (0, 1] (PEFT's svd_clamp, e.g. 0.99), not " + Scalars.show(n)
          + ".");
      return 0;
    }
    return v;
  }

  /**
   * {@code svd}'s {@code solver} (default {@code auto}); the dense family always reduces by the
   * randomised SVD and {@code cat} by none, so for them the key is refused.
   */
  private static String solver(Fields f, String combination, boolean dense,
      Problems problems) {
    String absent = combination.equals("svd") ? "auto" : dense ? "randomized" : null;
    if (f == null || !f.has("solver")) {
      return absent;
    }
    Node n = f.get("solver");
    if (!combination.equals("svd")) {
      problems.add(f.keyNode("solver"), "output.solver", "chooses how 'svd' reduces the sum;"
          + " '" + combination + "' " + (dense ? "always uses the randomised SVD" : "keeps every"
          + " factor") + ". Remove it.");
      return absent;
    }
    String v = n instanceof ScalarNode ? ((ScalarNode) n).getValue().trim() : null;
    if (v == null || !SOLVERS.contains(v)) {
      problems.add(n, "output.solver", "'solver' is one of " + String.join(", ", SOLVERS)
          + ", not " + Scalars.show(n) + ".");
      return absent;
    }
    return v;
  }

  /** An optional whole-number key of the output mapping, at least {@code min}. */
  private static int wholeNumber(Fields f, String key, int min, int absent, Problems problems) {
    if (f == null || !f.has(key)) {
      return absent;
    }
    Node n = f.get(key);
    Double v = n instanceof ScalarNode && !Scalars.isBool((ScalarNode) n)
        ? Scalars.number((ScalarNode) n) : null;
    if (v == null || v != Math.rint(v) || v < min || v > 1 << 20) {
      problems.add(n, "output." + key, "'" + key + "' is a whole number >= " + min + ", not "
          + Scalars.show(n) + ".");
      return absent;
    }
    return (int) (double) v;
  }

  /** Adapter output combines BASE+ADAPTER models of the config's base, listed under models. */
  private static void checkSources(Node node, ModelRef base, boolean slicesSyntax,
      List<SliceSpec> slices, Problems problems) {
    if (slicesSyntax) {
      problems.add(node, "output", "adapter output takes 'models:' or 'adapters:', not"
          + " 'slices:'.");
    }
    if (base == null) {
      problems.add(node, "output", "adapter output needs 'base_model': the base the adapters"
          + " share.");
      return;
    }
    for (SliceSpec slice : slices) {
      for (SourceSpec s : slice.sources()) {
        boolean isBase = s.model().equals(base);
        boolean adapterOfBase = s.model().lora() != null
            && s.model().path().equals(base.path());
        if (!isBase && !adapterOfBase) {
          problems.add(node, "output", "adapter output combines adapters of the base; '"
              + s.model().display() + "' is not BASE+ADAPTER with base '" + base.display()
              + "'.");
        }
      }
    }
  }

  /** The combination must be known and agree with merge_method (whose parameters it uses). */
  private static void checkCombination(String combination, Node at, String method,
      Node methodNode, Problems problems) {
    String wrong = AdapterCombinations.problem(combination);
    if (wrong != null) {
      problems.add(at, "output.combination", wrong);
      return;
    }
    if (method == null) {
      return; // a missing or unknown merge_method is reported already
    }
    if (AdapterCombinations.isDense(combination)) {
      String needs = AdapterCombinations.DENSE.get(combination);
      if (!method.equals(needs)) {
        problems.add(methodNode, "merge_method", "output combination '" + combination
            + "' merges the adapters' updates with " + needs + ": set 'merge_method: " + needs
            + "' (not '" + method + "'); its per-model 'weight' and 'density' apply.");
      }
      return;
    }
    if (method.equals("linear") || method.equals("task_arithmetic")) {
      return;
    }
    String instead = AdapterCombinations.forMethod(method);
    problems.add(methodNode, "merge_method", instead != null
        ? "adapter output with merge_method " + method + " needs 'combination: " + instead
            + "' (" + method + " on each module's dense update, then a randomised SVD to"
            + " 'rank'); '" + combination + "' combines the adapters as sum(weight * s * B * A)."
        : "adapter output supports task_arithmetic or linear (combination cat or svd), ties"
            + " (ties_svd), dare_ties (dare_ties_svd), dare_linear (dare_linear_svd) and"
            + " task_arithmetic with density (magnitude_prune_svd), not '" + method + "'. Write a"
            + " merged model instead (output: model).");
  }
}
