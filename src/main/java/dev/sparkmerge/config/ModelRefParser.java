package dev.sparkmerge.config;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Parses a model reference: {@code path[+lora]} or the object form
 * {@code {model: {path}, lora: {path}}} (reference/mergekit.md §1.2). Revisions ({@code @rev})
 * address the Hugging Face hub, which we do not read, so they are errors telling the user to
 * download the model and give its path.
 */
final class ModelRefParser {
  private ModelRefParser() {}

  /** A URI scheme: its '@' (user info) is part of the location, not a revision. */
  private static final Pattern URI = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://.*");

  private static final Set<String> OBJECT_KEYS =
      new LinkedHashSet<>(List.of("model", "lora", "override_architecture"));
  private static final Set<String> PATH_KEYS = new LinkedHashSet<>(List.of("path", "revision"));

  /** The reference, or null after adding a problem. */
  static ModelRef parse(Node node, String path, Problems problems) {
    if (Scalars.isNull(node)) {
      problems.add(node, path, "a model path is needed here, e.g. 'models/my-model' or "
          + "'hdfs://namenode/models/my-model'.");
      return null;
    }
    if (node instanceof ScalarNode) {
      return parseString(node, ((ScalarNode) node).getValue().trim(), path, problems);
    }
    if (node instanceof MappingNode) {
      return parseObject((MappingNode) node, path, problems);
    }
    problems.add(node, path, "expected a model path, found " + Scalars.show(node) + ".");
    return null;
  }

  private static ModelRef parseString(Node node, String text, String path, Problems problems) {
    String[] parts = text.split("\\+", -1);
    if (parts.length > 2) {
      problems.add(node, path, "'" + text + "' has more than one '+'; write 'model+lora' with "
          + "exactly one adapter (merge several adapters as separate models).");
      return null;
    }
    String model = checkPart(node, parts[0].trim(), "model", path, problems);
    String lora = parts.length == 2 ? checkPart(node, parts[1].trim(), "LoRA adapter", path,
        problems) : null;
    if (model == null || (parts.length == 2 && lora == null)) {
      return null;
    }
    return new ModelRef(model, lora, text);
  }

  private static String checkPart(Node node, String part, String what, String path,
      Problems problems) {
    if (part.isEmpty()) {
      problems.add(node, path, "the " + what + " path is empty.");
      return null;
    }
    if (!URI.matcher(part).matches() && part.contains("@")) {
      problems.add(node, path, revisionMessage(part.substring(0, part.indexOf('@')),
          part.substring(part.indexOf('@') + 1)));
      return null;
    }
    return part;
  }

  static String revisionMessage(String repo, String revision) {
    return "'" + repo + "@" + revision + "' names a revision on the Hugging Face hub, which "
        + "sparkmerge does not download. Fetch it first (huggingface-cli download " + repo
        + " --revision " + revision + " --local-dir models/" + repo.replace('/', '_')
        + ") and give the local or Hadoop path instead.";
  }

  private static ModelRef parseObject(MappingNode node, String path, Problems problems) {
    Fields f = Fields.read(node, path, OBJECT_KEYS, List.of(), problems);
    if (f.has("override_architecture")) {
      problems.add(f.keyNode("override_architecture"), f.path("override_architecture"),
          "not supported yet: sparkmerge reads the architecture from the tensor names; remove "
              + "this key.");
    }
    if (!f.has("model")) {
      problems.add(node, path, "the object form needs 'model: {path: ...}'.");
      return null;
    }
    String model = pathOf(f.get("model"), f.path("model"), problems);
    String lora = f.has("lora") && !Scalars.isNull(f.get("lora"))
        ? pathOf(f.get("lora"), f.path("lora"), problems) : null;
    if (model == null || (f.has("lora") && !Scalars.isNull(f.get("lora")) && lora == null)) {
      return null;
    }
    return new ModelRef(model, lora, lora == null ? model : model + "+" + lora);
  }

  /** {@code {path, revision}} or a bare path string. */
  private static String pathOf(Node node, String path, Problems problems) {
    if (node instanceof ScalarNode && !Scalars.isNull(node)) {
      return checkPart(node, ((ScalarNode) node).getValue().trim(), "model", path, problems);
    }
    if (!(node instanceof MappingNode)) {
      problems.add(node, path, "expected '{path: ...}', found " + Scalars.show(node) + ".");
      return null;
    }
    Fields f = Fields.read((MappingNode) node, path, PATH_KEYS, List.of(), problems);
    Node p = f.get("path");
    if (!(p instanceof ScalarNode) || Scalars.isNull(p)) {
      problems.add(p == null ? node : p, f.path("path"), "a path is needed here.");
      return null;
    }
    String text = ((ScalarNode) p).getValue().trim();
    Node rev = f.get("revision");
    if (rev != null && !Scalars.isNull(rev)) {
      problems.add(rev, f.path("revision"), revisionMessage(text,
          rev instanceof ScalarNode ? ((ScalarNode) rev).getValue() : "?"));
      return null;
    }
    return checkPart(p, text, "model", f.path("path"), problems);
  }
}
