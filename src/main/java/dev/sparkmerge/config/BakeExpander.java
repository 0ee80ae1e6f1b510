package dev.sparkmerge.config;

import java.nio.file.Path;
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
 * {@code output: bake} (an extension): one full model per {@code BASE+ADAPTER} entry — the base
 * with that adapter applied — written as the candidates of one job, so the base is read once per
 * chunk for all of them. Each candidate is the config with {@code merge_method: task_arithmetic},
 * that one model at weight 1 and no {@code output} key; its id is the adapter directory's name.
 */
final class BakeExpander {
  private BakeExpander() {}

  /** Null unless the document asks for {@code output: bake}; otherwise one entry per adapter. */
  static List<GridExpander.Expanded> expand(Node root, Problems problems) {
    if (!(root instanceof MappingNode)) {
      return null;
    }
    MappingNode map = (MappingNode) root;
    NodeTuple output = YamlNodes.find(map, "output");
    if (output == null || !(output.getValueNode() instanceof ScalarNode)
        || !((ScalarNode) output.getValueNode()).getValue().equals("bake")) {
      return null;
    }
    NodeTuple models = YamlNodes.find(map, "models");
    if (models == null || !(models.getValueNode() instanceof SequenceNode)) {
      problems.add(output.getValueNode(), "output", "'output: bake' applies each adapter of"
          + " 'models:' (or 'adapters:') to the base; none are listed.");
      return List.of();
    }
    List<GridExpander.Expanded> out = new ArrayList<>();
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Node entry : ((SequenceNode) models.getValueNode()).getValue()) {
      String ref = modelOf(entry);
      if (ref == null || !ref.contains("+")) {
        continue; // the base itself, or a malformed entry the parser reports
      }
      String adapter = ref.substring(ref.indexOf('+') + 1).replaceAll("/+$", "");
      String id = Path.of(adapter).getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "-");
      int n = ids.merge(id, 1, Integer::sum);
      if (n > 1) {
        id = id + "-" + n;
      }
      out.add(new GridExpander.Expanded(id, Map.of("adapter", adapter),
          candidate(map, output, models, entry)));
    }
    if (out.isEmpty()) {
      problems.add(output.getValueNode(), "output", "'output: bake' needs BASE+ADAPTER models.");
    }
    return out;
  }

  private static MappingNode candidate(MappingNode root, NodeTuple output, NodeTuple models,
      Node entry) {
    List<NodeTuple> top = new ArrayList<>();
    for (NodeTuple t : root.getValue()) {
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      if (t == output || key.equals("parameters")) {
        continue;
      }
      if (key.equals("merge_method")) {
        top.add(new NodeTuple(t.getKeyNode(), YamlNodes.scalar("task_arithmetic", t.getValueNode())));
      } else if (t == models) {
        MappingNode one = new MappingNode(Tag.MAP, true, List.of(
            new NodeTuple(YamlNodes.scalar("model", entry), YamlNodes.scalar(modelOf(entry), entry)),
            new NodeTuple(YamlNodes.scalar("parameters", entry), new MappingNode(Tag.MAP, true,
                List.of(new NodeTuple(YamlNodes.scalar("weight", entry), YamlNodes.scalar("1.0", entry))),
                entry.getStartMark(), entry.getEndMark(), DumperOptions.FlowStyle.FLOW))),
            entry.getStartMark(), entry.getEndMark(), DumperOptions.FlowStyle.BLOCK);
        top.add(new NodeTuple(t.getKeyNode(), new SequenceNode(Tag.SEQ, true, List.of(one),
            t.getValueNode().getStartMark(), t.getValueNode().getEndMark(),
            DumperOptions.FlowStyle.BLOCK)));
      } else {
        top.add(t);
      }
    }
    return new MappingNode(Tag.MAP, true, top, root.getStartMark(), root.getEndMark(),
        DumperOptions.FlowStyle.BLOCK);
  }

  private static String modelOf(Node entry) {
    if (entry instanceof MappingNode) {
      NodeTuple m = YamlNodes.find((MappingNode) entry, "model");
      if (m != null && m.getValueNode() instanceof ScalarNode) {
        return ((ScalarNode) m.getValueNode()).getValue();
      }
    }
    return null;
  }
}
