package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Parses a {@code parameters:} mapping into a {@link ParameterSet}, checking the shapes mergekit
 * accepts (number, gradient, {@code {value, filter}}, list of those) and recording every value's
 * location for the method checks that follow.
 */
final class ParameterParser {
  private static final Set<String> CONDITIONAL_KEYS =
      new LinkedHashSet<>(List.of("value", "filter"));

  private final Problems problems;
  private final List<ParamSite> sites;
  private final Set<String> unparsed;

  /** Records parsed settings in {@code sites} and names whose value failed in {@code unparsed}. */
  ParameterParser(Problems problems, List<ParamSite> sites, Set<String> unparsed) {
    this.problems = problems;
    this.sites = sites;
    this.unparsed = unparsed;
  }

  ParameterSet parseSet(Node node, String path, ParamSite.Level level, int slice, int source) {
    if (Scalars.isNull(node)) {
      return ParameterSet.EMPTY; // "parameters:" with nothing under it
    }
    if (!(node instanceof MappingNode)) {
      problems.add(node, path, "expected a mapping of parameter names to values, found "
          + Scalars.show(node) + ".");
      return ParameterSet.EMPTY;
    }
    Map<String, ParameterSetting> out = new LinkedHashMap<>();
    Map<String, Node> firstKey = new LinkedHashMap<>();
    for (NodeTuple t : ((MappingNode) node).getValue()) {
      Node keyNode = t.getKeyNode();
      if (!(keyNode instanceof ScalarNode) || Scalars.isNull(keyNode)) {
        problems.add(keyNode, path, "parameter names must be plain names.");
        continue;
      }
      String name = ((ScalarNode) keyNode).getValue();
      String keyPath = path + "." + name;
      if (firstKey.containsKey(name)) {
        problems.add(keyNode, keyPath, "duplicate parameter (first at line "
            + (firstKey.get(name).getStartMark().getLine() + 1) + "); remove one of them.");
        continue;
      }
      firstKey.put(name, keyNode);
      List<ParamSite.Value> values = new ArrayList<>();
      ParameterSetting setting = parseSetting(t.getValueNode(), keyPath, values);
      if (setting != null) {
        out.put(name, setting);
        sites.add(new ParamSite(level, slice, source, name, keyNode, keyPath, setting, values));
      } else {
        unparsed.add(name);
      }
    }
    return new ParameterSet(out);
  }

  private ParameterSetting parseSetting(Node node, String path, List<ParamSite.Value> values) {
    if (node instanceof MappingNode) {
      ParameterSetting.Entry e = conditional((MappingNode) node, path, values);
      return e == null ? null : new ParameterSetting(List.of(e), true);
    }
    if (node instanceof SequenceNode && isConditionalList((SequenceNode) node)) {
      List<ParameterSetting.Entry> entries = new ArrayList<>();
      List<Node> items = ((SequenceNode) node).getValue();
      boolean ok = true;
      for (int i = 0; i < items.size(); i++) {
        Node item = items.get(i);
        String itemPath = path + "[" + i + "]";
        if (!(item instanceof MappingNode)) {
          problems.add(item, itemPath, "a list of '{filter, value}' entries cannot mix in "
              + Scalars.show(item) + "; write '- value: ...' for the fallback entry.");
          ok = false;
          continue;
        }
        ParameterSetting.Entry e = conditional((MappingNode) item, itemPath, values);
        ok &= e != null;
        if (e != null) {
          entries.add(e);
        }
      }
      return ok ? new ParameterSetting(entries, true) : null;
    }
    ParameterSetting.Entry e = plainValue(node, path, null, values);
    return e == null ? null : new ParameterSetting(List.of(e), false);
  }

  private static boolean isConditionalList(SequenceNode node) {
    for (Node item : node.getValue()) {
      if (item instanceof MappingNode) {
        return true;
      }
    }
    return false;
  }

  /** {@code {value, filter}}. */
  private ParameterSetting.Entry conditional(MappingNode node, String path,
      List<ParamSite.Value> values) {
    Fields f = Fields.read(node, path, CONDITIONAL_KEYS, List.of(), problems);
    String filter = null;
    Node filterNode = f.get("filter");
    if (filterNode != null && !Scalars.isNull(filterNode)) {
      if (filterNode instanceof ScalarNode) {
        filter = ((ScalarNode) filterNode).getValue();
        if (filter.isEmpty()) {
          filter = null; // the empty substring matches every name, like no filter
        }
      } else {
        problems.add(filterNode, f.path("filter"), "a filter is a plain substring of the tensor "
            + "name, e.g. 'self_attn' or 'mlp', not " + Scalars.show(filterNode) + ".");
        return null;
      }
    }
    Node valueNode = f.get("value");
    if (valueNode == null) {
      problems.add(node, path, "this entry has no 'value'; write e.g. '{filter: "
          + (filter == null ? "mlp" : filter) + ", value: 0.5}'.");
      return null;
    }
    if (valueNode instanceof MappingNode) {
      problems.add(valueNode, f.path("value"), "a value is a number or a list of numbers "
          + "(a gradient), not a mapping.");
      return null;
    }
    return plainValue(valueNode, f.path("value"), filter, values);
  }

  /** A number, a string (for CHOICE parameters), or a gradient. */
  private ParameterSetting.Entry plainValue(Node node, String path, String filter,
      List<ParamSite.Value> values) {
    if (Scalars.isNull(node)) {
      problems.add(node, path, "no value given; write a number, a list of numbers (a gradient) "
          + "or a list of '{filter, value}' entries.");
      return null;
    }
    if (node instanceof ScalarNode) {
      Double v = Scalars.number((ScalarNode) node);
      if (v == null) {
        String text = ((ScalarNode) node).getValue();
        values.add(new ParamSite.Value(path, node, List.of(node), null, text));
        return new ParameterSetting.Entry(filter, null, text);
      }
      double[] anchors = {v};
      values.add(new ParamSite.Value(path, node, List.of(node), anchors, null));
      return new ParameterSetting.Entry(filter, anchors, null);
    }
    List<Node> items = ((SequenceNode) node).getValue();
    if (items.isEmpty()) {
      problems.add(node, path, "an empty list is not a gradient; give at least one number.");
      return null;
    }
    double[] anchors = new double[items.size()];
    boolean ok = true;
    for (int i = 0; i < items.size(); i++) {
      Node item = items.get(i);
      Double v = item instanceof ScalarNode && !Scalars.isNull(item)
          ? Scalars.number((ScalarNode) item) : null;
      if (v == null) {
        problems.add(item, path + "[" + i + "]", "a gradient is a list of numbers; "
            + Scalars.show(item) + " is not a number.");
        ok = false;
      } else {
        anchors[i] = v;
      }
    }
    if (!ok) {
      return null;
    }
    values.add(new ParamSite.Value(path, node, List.copyOf(items), anchors, null));
    return new ParameterSetting.Entry(filter, anchors, null);
  }
}
