package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Expands a top-level {@code grid:} mapping (each key a parameter name or {@code merge_method},
 * each value a list) into the cartesian product of configs. Each candidate is the original node
 * tree without {@code grid:}, with its values written into the top-level {@code parameters} (so
 * per-model parameters fall back to them by mergekit's precedence) or {@code merge_method}. The
 * original nodes are reused, so every message still points at the line the user wrote.
 */
final class GridExpander {
  static final String GRID = "grid";

  /** A candidate's node tree and swept values, before validation. */
  static final class Expanded {
    final String id;
    final Map<String, String> values;
    final MappingNode root;

    Expanded(String id, Map<String, String> values, MappingNode root) {
      this.id = id;
      this.values = values;
      this.root = root;
    }
  }

  private GridExpander() {}

  /** Null when the document has no grid; otherwise the candidates (problems reported). */
  static List<Expanded> expand(MappingNode root, Problems problems) {
    NodeTuple grid = YamlNodes.find(root, GRID);
    if (grid == null) {
      return null;
    }
    if (!(grid.getValueNode() instanceof MappingNode)
        || ((MappingNode) grid.getValueNode()).getValue().isEmpty()) {
      problems.add(grid.getValueNode(), GRID, "expected a mapping of parameter names to lists of"
          + " values, e.g. 'grid: {density: [0.3, 0.5], weight: [0.5, 1.0]}'.");
      return List.of();
    }
    Map<String, List<ScalarNode>> axes = new LinkedHashMap<>();
    for (NodeTuple t : ((MappingNode) grid.getValueNode()).getValue()) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      Node v = t.getValueNode();
      List<ScalarNode> values = new ArrayList<>();
      if (v instanceof SequenceNode) {
        for (Node n : ((SequenceNode) v).getValue()) {
          if (n instanceof ScalarNode) {
            values.add((ScalarNode) n);
          } else {
            problems.add(n, GRID + "." + key, "grid values must be plain values (numbers, or"
                + " method names for merge_method); use several YAML documents for candidates"
                + " that differ in more than parameter values.");
          }
        }
      } else {
        problems.add(v, GRID + "." + key, "expected a list of values to sweep, e.g. [0.3, 0.5].");
      }
      if (values.isEmpty()) {
        problems.add(v, GRID + "." + key, "needs at least one value.");
      }
      axes.put(key, values);
    }
    List<Expanded> out = new ArrayList<>();
    product(root, grid, new ArrayList<>(axes.entrySet()), 0, new LinkedHashMap<>(), out);
    return out;
  }

  private static void product(MappingNode root, NodeTuple grid,
      List<Map.Entry<String, List<ScalarNode>>> axes, int i, LinkedHashMap<String, ScalarNode> chosen,
      List<Expanded> out) {
    if (i == axes.size()) {
      Map<String, String> values = new LinkedHashMap<>();
      StringBuilder id = new StringBuilder();
      chosen.forEach((k, v) -> {
        values.put(k, v.getValue());
        id.append(id.length() > 0 ? "_" : "").append(k).append('-').append(v.getValue());
      });
      out.add(new Expanded(safeId(id.toString()), values, candidate(root, grid, chosen)));
      return;
    }
    Map.Entry<String, List<ScalarNode>> axis = axes.get(i);
    for (ScalarNode v : axis.getValue()) {
      chosen.put(axis.getKey(), v);
      product(root, grid, axes, i + 1, chosen, out);
    }
    chosen.remove(axis.getKey());
  }

  /** Only characters safe in directory names on every file system. */
  private static String safeId(String id) {
    return id.replaceAll("[^A-Za-z0-9._-]", "-");
  }

  private static MappingNode candidate(MappingNode root, NodeTuple grid,
      Map<String, ScalarNode> chosen) {
    List<NodeTuple> top = new ArrayList<>();
    Map<String, ScalarNode> params = new LinkedHashMap<>(chosen);
    ScalarNode method = params.remove("merge_method");
    boolean hasParameters = false;
    for (NodeTuple t : root.getValue()) {
      if (t == grid) {
        continue;
      }
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      if (key.equals("merge_method") && method != null) {
        top.add(new NodeTuple(t.getKeyNode(), method));
      } else if (key.equals("parameters") && t.getValueNode() instanceof MappingNode) {
        hasParameters = true;
        top.add(new NodeTuple(t.getKeyNode(),
            withValues((MappingNode) t.getValueNode(), params)));
      } else {
        top.add(t);
      }
    }
    if (!hasParameters && !params.isEmpty()) {
      top.add(new NodeTuple(YamlNodes.scalar("parameters", grid.getKeyNode()),
          withValues(new MappingNode(Tag.MAP, true, new ArrayList<NodeTuple>(), grid.getKeyNode()
              .getStartMark(), grid.getKeyNode().getEndMark(), DumperOptions.FlowStyle.BLOCK),
              params)));
    }
    return new MappingNode(Tag.MAP, true, top, root.getStartMark(), root.getEndMark(),
        DumperOptions.FlowStyle.BLOCK);
  }

  /** A copy of a parameters mapping with the swept values set (replacing entries of that name). */
  private static MappingNode withValues(MappingNode params, Map<String, ScalarNode> values) {
    List<NodeTuple> entries = new ArrayList<>();
    for (NodeTuple t : params.getValue()) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      if (!values.containsKey(key)) {
        entries.add(t);
      }
    }
    values.forEach((k, v) -> entries.add(new NodeTuple(YamlNodes.scalar(k, v), v)));
    return new MappingNode(Tag.MAP, true, entries, params.getStartMark(), params.getEndMark(),
        DumperOptions.FlowStyle.BLOCK);
  }
}
