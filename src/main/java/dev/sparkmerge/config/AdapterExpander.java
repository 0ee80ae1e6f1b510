package dev.sparkmerge.config;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
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
 * Expands a top-level {@code adapters:} block — many LoRA adapters of the base model, listed by
 * path or glob, with parameters for all of them and overrides by name pattern — into ordinary
 * {@code models:} entries {@code BASE+ADAPTER}, which the rest of the loader validates as if the
 * user had written them. The block's own nodes are reused, so messages point at its lines.
 *
 * <pre>
 * adapters:
 *   paths: [hdfs:///adapters/*]        # directories or globs; adapters sorted by path
 *   parameters: {weight: 1.0}          # for every adapter
 *   overrides:                         # first match on the adapter directory's name wins
 *     - match: "math-*"
 *       parameters: {weight: 2.0}
 * </pre>
 */
final class AdapterExpander {
  static final String ADAPTERS = "adapters";
  private static final java.util.Set<String> KEYS = new java.util.LinkedHashSet<>(
      List.of("paths", "parameters", "overrides"));

  private AdapterExpander() {}

  /** The root with {@code adapters:} turned into {@code models:} entries, or root unchanged. */
  static Node expand(Node root, Problems problems, AdapterLister lister) {
    if (!(root instanceof MappingNode)) {
      return root;
    }
    MappingNode map = (MappingNode) root;
    NodeTuple block = YamlNodes.find(map, ADAPTERS);
    if (block == null) {
      return root;
    }
    NodeTuple base = YamlNodes.find(map, "base_model");
    if (base == null || !(base.getValueNode() instanceof ScalarNode)) {
      problems.add(block.getKeyNode(), ADAPTERS, "adapters are applied to 'base_model', which is"
          + " missing; add 'base_model: <the adapters' base model>'.");
      return root;
    }
    if (!(block.getValueNode() instanceof MappingNode)) {
      problems.add(block.getValueNode(), ADAPTERS, "expected a mapping with 'paths:' (and"
          + " optional 'parameters:' and 'overrides:').");
      return root;
    }
    Fields f = Fields.read((MappingNode) block.getValueNode(), ADAPTERS, KEYS, List.of(),
        problems);
    List<ScalarNode> paths = scalars(f.get("paths"), f.path("paths"), problems);
    if (paths == null || paths.isEmpty()) {
      problems.add(block.getValueNode(), f.path("paths"), "list the adapter directories or globs,"
          + " e.g. 'paths: [hdfs:///adapters/*]'.");
      return root;
    }
    MappingNode defaults = f.has("parameters") && f.get("parameters") instanceof MappingNode
        ? (MappingNode) f.get("parameters") : null;
    List<Map.Entry<PathMatcher, MappingNode>> overrides = overrides(f, problems);
    List<Node> entries = new ArrayList<>();
    String basePath = ((ScalarNode) base.getValueNode()).getValue();
    for (ScalarNode p : paths) {
      List<String> dirs;
      try {
        dirs = lister.list(p.getValue());
      } catch (IllegalArgumentException e) {
        problems.add(p, f.path("paths"), e.getMessage());
        continue;
      }
      if (dirs.isEmpty()) {
        problems.add(p, f.path("paths"), "'" + p.getValue() + "' matches no adapter directory"
            + " (a directory holding adapter_config.json).");
      }
      for (String dir : dirs) {
        entries.add(entry(basePath + "+" + dir, dir, p, defaults, overrides));
      }
    }
    List<NodeTuple> top = new ArrayList<>();
    NodeTuple models = YamlNodes.find(map, "models");
    List<Node> allModels = new ArrayList<>();
    if (models != null && models.getValueNode() instanceof SequenceNode) {
      allModels.addAll(((SequenceNode) models.getValueNode()).getValue());
    }
    allModels.addAll(entries);
    for (NodeTuple t : map.getValue()) {
      if (t == block || t == models) {
        continue;
      }
      top.add(t);
    }
    Node at = block.getKeyNode();
    top.add(new NodeTuple(YamlNodes.scalar("models", at), new SequenceNode(Tag.SEQ, true, allModels,
        at.getStartMark(), at.getEndMark(), DumperOptions.FlowStyle.BLOCK)));
    return new MappingNode(Tag.MAP, true, top, map.getStartMark(), map.getEndMark(),
        DumperOptions.FlowStyle.BLOCK);
  }

  private static List<Map.Entry<PathMatcher, MappingNode>> overrides(Fields f,
      Problems problems) {
    List<Map.Entry<PathMatcher, MappingNode>> out = new ArrayList<>();
    Node node = f.get("overrides");
    if (node == null) {
      return out;
    }
    if (!(node instanceof SequenceNode)) {
      problems.add(node, f.path("overrides"), "expected a list of '- match: <pattern>' entries"
          + " with 'parameters:'.");
      return out;
    }
    List<Node> items = ((SequenceNode) node).getValue();
    for (int i = 0; i < items.size(); i++) {
      String path = f.path("overrides") + "[" + i + "]";
      if (!(items.get(i) instanceof MappingNode)) {
        problems.add(items.get(i), path, "expected 'match:' and 'parameters:'.");
        continue;
      }
      Fields o = Fields.read((MappingNode) items.get(i), path,
          new java.util.LinkedHashSet<>(List.of("match", "parameters")), List.of(), problems);
      if (!(o.get("match") instanceof ScalarNode) || !(o.get("parameters") instanceof MappingNode)) {
        problems.add(items.get(i), path, "each override needs 'match: <glob on the adapter"
            + " directory name>' and 'parameters: {...}'.");
        continue;
      }
      String glob = ((ScalarNode) o.get("match")).getValue();
      out.add(Map.entry(FileSystems.getDefault().getPathMatcher("glob:" + glob),
          (MappingNode) o.get("parameters")));
    }
    return out;
  }

  /** One models: entry: the base+adapter reference and the adapter's parameters. */
  private static Node entry(String ref, String dir, ScalarNode at, MappingNode defaults,
      List<Map.Entry<PathMatcher, MappingNode>> overrides) {
    Map<String, NodeTuple> params = new LinkedHashMap<>();
    if (defaults != null) {
      for (NodeTuple t : defaults.getValue()) {
        params.put(((ScalarNode) t.getKeyNode()).getValue(), t);
      }
    }
    String name = Path.of(dir.replaceAll("/+$", "")).getFileName().toString();
    for (Map.Entry<PathMatcher, MappingNode> o : overrides) {
      if (o.getKey().matches(Path.of(name))) {
        for (NodeTuple t : o.getValue().getValue()) {
          params.put(((ScalarNode) t.getKeyNode()).getValue(), t);
        }
        break;
      }
    }
    List<NodeTuple> fields = new ArrayList<>();
    fields.add(new NodeTuple(YamlNodes.scalar("model", at), YamlNodes.scalar(ref, at)));
    if (!params.isEmpty()) {
      fields.add(new NodeTuple(YamlNodes.scalar("parameters", at), new MappingNode(Tag.MAP, true,
          new ArrayList<>(params.values()), at.getStartMark(), at.getEndMark(),
          DumperOptions.FlowStyle.BLOCK)));
    }
    return new MappingNode(Tag.MAP, true, fields, at.getStartMark(), at.getEndMark(),
        DumperOptions.FlowStyle.BLOCK);
  }

  private static List<ScalarNode> scalars(Node node, String path, Problems problems) {
    List<ScalarNode> out = new ArrayList<>();
    if (node instanceof ScalarNode) {
      out.add((ScalarNode) node);
    } else if (node instanceof SequenceNode) {
      for (Node n : ((SequenceNode) node).getValue()) {
        if (n instanceof ScalarNode) {
          out.add((ScalarNode) n);
        } else {
          problems.add(n, path, "expected a path or glob.");
        }
      }
    } else if (node != null) {
      problems.add(node, path, "expected a path, a glob, or a list of them.");
    }
    return out;
  }
}
