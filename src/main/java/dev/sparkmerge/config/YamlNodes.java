package dev.sparkmerge.config;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Small helpers for the expanders that rewrite a config's node tree (adapters, grids, bakes):
 * new nodes carry the position of the user's node they stand for, so messages still point at it.
 */
final class YamlNodes {
  private YamlNodes() {}

  /** The entry of {@code map} with that plain key, or null. */
  static NodeTuple find(MappingNode map, String key) {
    for (NodeTuple t : map.getValue()) {
      if (t.getKeyNode() instanceof ScalarNode
          && key.equals(((ScalarNode) t.getKeyNode()).getValue())) {
        return t;
      }
    }
    return null;
  }

  /** A plain scalar placed where {@code at} is. */
  static ScalarNode scalar(String text, Node at) {
    return new ScalarNode(Tag.STR, text, at.getStartMark(), at.getEndMark(),
        DumperOptions.ScalarStyle.PLAIN);
  }
}
