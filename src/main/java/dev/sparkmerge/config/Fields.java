package dev.sparkmerge.config;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The keys of one YAML mapping, checked against the keys valid at that place. Unknown keys are
 * errors (mergekit ignores them silently, which hides typos), with the closest valid key
 * suggested; a merge parameter written where a key belongs gets a "put it under parameters:"
 * hint instead. Duplicate keys are errors too (YAML loaders keep the last one silently).
 */
final class Fields {
  private final String path;
  private final Map<String, NodeTuple> byKey = new LinkedHashMap<>();

  private Fields(String path) {
    this.path = path;
  }

  /**
   * Reads {@code node}'s keys. {@code parameterNames} are the merge parameters we know of, for the
   * misplaced-parameter hint ({@code weight:} directly under a model entry, issue #470).
   */
  static Fields read(
      MappingNode node, String path, Set<String> allowed, Collection<String> parameterNames,
      Problems problems) {
    Fields f = new Fields(path);
    for (NodeTuple t : node.getValue()) {
      Node keyNode = t.getKeyNode();
      if (!(keyNode instanceof ScalarNode) || Scalars.isNull(keyNode)) {
        problems.add(keyNode, path, "keys must be plain names, not " + Scalars.show(keyNode) + ".");
        continue;
      }
      String key = ((ScalarNode) keyNode).getValue();
      String keyPath = join(path, key);
      NodeTuple earlier = f.byKey.get(key);
      if (earlier != null) {
        problems.add(keyNode, keyPath, "duplicate key (first at line "
            + (earlier.getKeyNode().getStartMark().getLine() + 1) + "); remove one of them.");
        continue;
      }
      if (Tag.MERGE.equals(keyNode.getTag())) {
        problems.add(keyNode, keyPath, "YAML merge keys ('<<') are not supported; write the "
            + "keys out in full.");
        continue;
      }
      if (!allowed.contains(key)) {
        problems.add(keyNode, keyPath, unknownKeyMessage(key, path, allowed, parameterNames));
        continue;
      }
      f.byKey.put(key, t);
    }
    return f;
  }

  private static String unknownKeyMessage(
      String key, String path, Set<String> allowed, Collection<String> parameterNames) {
    if (parameterNames.contains(key) && allowed.contains("parameters")) {
      return "'" + key + "' is a merge parameter, not a key of "
          + (path.isEmpty() ? "the config" : "this entry") + "; move it under "
          + (path.isEmpty() ? "the top-level " : "this entry's ") + "'parameters:' (mergekit "
          + "silently ignores it here).";
    }
    String hint = Suggest.didYouMean(key, allowed);
    return "unknown key '" + key + "'." + hint + " Valid keys here: "
        + String.join(", ", allowed) + ".";
  }

  boolean has(String key) {
    return byKey.containsKey(key);
  }

  /** The value node, or null when the key is absent. */
  Node get(String key) {
    NodeTuple t = byKey.get(key);
    return t == null ? null : t.getValueNode();
  }

  /** The key node, for messages about a key that is present. */
  Node keyNode(String key) {
    NodeTuple t = byKey.get(key);
    return t == null ? null : t.getKeyNode();
  }

  String path(String key) {
    return join(path, key);
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
