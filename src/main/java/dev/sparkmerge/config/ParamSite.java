package dev.sparkmerge.config;

import java.util.List;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Where one parameter was written, kept beside the parsed spec so that method validation can
 * point at the exact key and value.
 */
record ParamSite(
    Level level, int slice, int source, String name, Node keyNode, String path,
    ParameterSetting setting, List<ParamSite.Value> values) {

  enum Level {
    TOP,
    SLICE,
    SOURCE
  }

  /** One written value: a number or gradient (with each anchor's node), or a string. */
  record Value(String path, Node node, List<Node> anchorNodes, double[] anchors, String choice) {}
}
