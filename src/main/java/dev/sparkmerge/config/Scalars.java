package dev.sparkmerge.config;

import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads YAML scalars the way mergekit ends up seeing them after PyYAML (YAML 1.1) and pydantic's
 * lax conversion: booleans are 1.0/0.0, and numeric strings are numbers — PyYAML loads
 * {@code 1e-5} (no dot) as a string and pydantic turns it into a float, so we must too.
 */
final class Scalars {
  private Scalars() {}

  /** YAML 1.1 booleans that mean true (SnakeYAML resolves the same set PyYAML does). */
  private static final Set<String> TRUE = Set.of("true", "yes", "on", "y");

  /** Decimal numbers with optional exponent and YAML 1.1 digit separators. */
  private static final Pattern DECIMAL =
      Pattern.compile("[-+]?(?:[0-9][0-9_]*(?:\\.[0-9_]*)?|\\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?");

  private static final Pattern INFINITY =
      Pattern.compile("[-+]?(?:\\.inf|inf|infinity)", Pattern.CASE_INSENSITIVE);

  static boolean isNull(Node node) {
    return node == null || (node instanceof ScalarNode && Tag.NULL.equals(node.getTag()));
  }

  static boolean isBool(ScalarNode node) {
    return Tag.BOOL.equals(node.getTag());
  }

  /**
   * The number a scalar denotes, or null when it is not numeric (a string value). NaN is never
   * returned: "nan" is not a usable parameter value, so it stays a string and fails validation.
   */
  static Double number(ScalarNode node) {
    String text = node.getValue().trim();
    if (isBool(node)) {
      return TRUE.contains(text.toLowerCase()) ? 1.0 : 0.0;
    }
    if (DECIMAL.matcher(text).matches()) {
      String digits = text.replace("_", "");
      if (digits.matches("[-+]?[._]*")) {
        return null;
      }
      return Double.parseDouble(digits);
    }
    if (INFINITY.matcher(text).matches()) {
      return text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (Tag.INT.equals(node.getTag()) && text.matches("[-+]?0x[0-9a-fA-F_]+")) {
      boolean negative = text.startsWith("-");
      String hex = text.replaceFirst("^[-+]?0x", "").replace("_", "");
      double v = Long.parseLong(hex, 16);
      return negative ? -v : v;
    }
    return null;
  }

  /** A short rendering of a node for messages. */
  static String show(Node node) {
    if (node instanceof ScalarNode) {
      return "'" + ((ScalarNode) node).getValue() + "'";
    }
    return "a " + kind(node);
  }

  static String kind(Node node) {
    switch (node.getNodeId()) {
      case scalar:
        return "single value";
      case sequence:
        return "list";
      case mapping:
        return "mapping";
      default:
        return node.getNodeId().name();
    }
  }
}
