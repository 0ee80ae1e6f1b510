package dev.sparkmerge.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Reads the top-level {@code output:} key (an extension): {@code model} (default), {@code adapter},
 * or {@code {type: adapter, combination: cat | svd, rank: N}}. Adapter output combines LoRA
 * adapters of one base as Σ weight·s·B·A, so it takes {@code linear}/{@code task_arithmetic}
 * weights and only {@code BASE+ADAPTER} models of the config's base.
 */
final class OutputParser {
  private static final Set<String> KEYS = new LinkedHashSet<>(
      List.of("type", "combination", "rank"));

  private OutputParser() {}

  static OutputSpec parse(Fields top, String method, ModelRef base, boolean slicesSyntax,
      List<SliceSpec> slices, Problems problems) {
    Node node = top.get("output");
    if (node == null || Scalars.isNull(node)) {
      return OutputSpec.MODEL;
    }
    String type;
    String combination = "cat";
    int rank = 0;
    if (node instanceof ScalarNode) {
      type = ((ScalarNode) node).getValue();
    } else if (node instanceof MappingNode) {
      Fields f = Fields.read((MappingNode) node, "output", KEYS, List.of(), problems);
      type = f.get("type") instanceof ScalarNode ? ((ScalarNode) f.get("type")).getValue()
          : "model";
      if (f.get("combination") instanceof ScalarNode) {
        combination = ((ScalarNode) f.get("combination")).getValue();
      }
      if (f.has("rank")) {
        Double r = f.get("rank") instanceof ScalarNode
            ? Scalars.number((ScalarNode) f.get("rank")) : null;
        if (r == null || r != Math.rint(r) || r < 1) {
          problems.add(f.get("rank"), "output.rank", "the adapter rank is a whole number >= 1,"
              + " not " + Scalars.show(f.get("rank")) + ".");
        } else {
          rank = (int) (double) r;
        }
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
    if (!combination.equals("cat") && !combination.equals("svd")) {
      problems.add(node, "output.combination", "'" + combination + "' is not supported; use"
          + " 'cat' (exact, rank = sum of ranks) or 'svd' (exact low-rank route, then"
          + " truncated to 'rank').");
    }
    if (method != null && !method.equals("linear") && !method.equals("task_arithmetic")) {
      problems.add(top.get("merge_method"), "merge_method", "adapter output combines the"
          + " adapters as sum(weight * s * B * A): use 'task_arithmetic' (or 'linear'), not '"
          + method + "'. Merging with " + method + " into one adapter is not supported yet.");
    }
    if (slicesSyntax) {
      problems.add(node, "output", "adapter output takes 'models:' or 'adapters:', not"
          + " 'slices:'.");
    }
    if (base == null) {
      problems.add(node, "output", "adapter output needs 'base_model': the base the adapters"
          + " share.");
    } else {
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
    return new OutputSpec(true, combination, rank);
  }
}
