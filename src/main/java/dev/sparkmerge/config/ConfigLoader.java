package dev.sparkmerge.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Entry point: mergekit YAML text → validated {@link JobSpec}s. Parses with SnakeYAML's node API
 * so that every message can give a line and column, checks structure ({@link JobParser}) and the
 * method's rules ({@link MethodChecks}), and throws one {@link ConfigException} listing every
 * problem. Nothing is read from disk: paths stay as written.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * Loads a file holding exactly one config.
   *
   * @param sourceName how messages name the file, e.g. {@code jobs/ties.yml}
   * @throws ConfigException listing every problem found
   */
  public static JobSpec load(String yamlText, String sourceName, MethodCatalog catalog) {
    return load(yamlText, sourceName, catalog, AdapterLister.NONE);
  }

  /** As {@link #load(String, String, MethodCatalog)}, expanding {@code adapters:} blocks. */
  public static JobSpec load(String yamlText, String sourceName, MethodCatalog catalog,
      AdapterLister adapters) {
    return parse(yamlText, sourceName, catalog, false, adapters).get(0);
  }

  /**
   * Loads every config in a file of YAML documents separated by {@code ---}, each a full config.
   * Empty documents (e.g. after a trailing {@code ---}) are skipped.
   *
   * @throws ConfigException listing every problem in every document
   */
  public static List<JobSpec> loadAll(String yamlText, String sourceName, MethodCatalog catalog) {
    return parse(yamlText, sourceName, catalog, true, AdapterLister.NONE);
  }

  /**
   * Loads the candidates of a grid search: one config with a top-level {@code grid:} mapping
   * (cartesian product of the listed values), or several YAML documents separated by
   * {@code ---}, each a full config; a plain single config is one candidate. Every candidate is
   * validated before any is returned.
   *
   * @throws ConfigException listing every problem of every candidate
   */
  public static List<GridCandidate> loadCandidates(String yamlText, String sourceName,
      MethodCatalog catalog) {
    return loadCandidates(yamlText, sourceName, catalog, AdapterLister.NONE);
  }

  /** As {@link #loadCandidates(String, String, MethodCatalog)}, expanding {@code adapters:}. */
  public static List<GridCandidate> loadCandidates(String yamlText, String sourceName,
      MethodCatalog catalog, AdapterLister adapters) {
    Objects.requireNonNull(yamlText, "yamlText");
    Problems problems = new Problems(sourceName);
    List<Node> documents = compose(yamlText, problems);
    problems.throwIfAny();
    if (documents.isEmpty()) {
      problems.add((Node) null, "", "the config is empty; it needs at least 'merge_method' and "
          + "'models' or 'slices'.");
      problems.throwIfAny();
    }
    List<GridCandidate> out = new ArrayList<>();
    boolean several = documents.size() > 1;
    for (int d = 0; d < documents.size(); d++) {
      problems.setDocument(d, several);
      Node root = AdapterExpander.expand(documents.get(d), problems, adapters);
      List<GridExpander.Expanded> grid = BakeExpander.expand(root, problems);
      if (grid == null && root instanceof MappingNode) {
        grid = GridExpander.expand((MappingNode) root, problems);
      }
      if (grid != null && several) {
        problems.add(root, GridExpander.GRID, "a 'grid:' cannot be combined with several"
            + " documents; use either one config with 'grid:' or one document per candidate.");
        continue;
      }
      if (grid == null) {
        String text = several ? documentText(yamlText, root) : yamlText;
        JobSpec spec = parseOne(root, text, problems, catalog);
        if (spec != null) {
          out.add(new GridCandidate(several ? String.format("config-%02d", d + 1) : "config",
              java.util.Map.of(), spec));
        }
        continue;
      }
      for (GridExpander.Expanded c : grid) {
        String text = "# candidate " + c.id + " of " + sourceName + "\n" + yamlText(c.root);
        JobSpec spec = parseOne(c.root, text, problems, catalog);
        if (spec != null) {
          out.add(new GridCandidate(c.id, c.values, spec));
        }
      }
    }
    problems.throwIfAny();
    return out;
  }

  private static JobSpec parseOne(Node root, String text, Problems problems,
      MethodCatalog catalog) {
    JobParser.Parsed parsed = new JobParser(problems, catalog).parse(root, text);
    if (parsed == null) {
      return null;
    }
    MethodChecks.check(parsed, problems);
    return parsed.spec();
  }

  private static List<JobSpec> parse(String yamlText, String sourceName, MethodCatalog catalog,
      boolean several, AdapterLister adapters) {
    Objects.requireNonNull(yamlText, "yamlText");
    Objects.requireNonNull(catalog, "catalog");
    Problems problems = new Problems(sourceName);
    List<Node> documents = compose(yamlText, problems);
    problems.throwIfAny();
    if (documents.isEmpty()) {
      problems.add((Node) null, "", "the config is empty; it needs at least 'merge_method' and "
          + "'models' or 'slices'.");
    } else if (!several && documents.size() > 1) {
      problems.add(documents.get(1), "", "expected one config but the file holds "
          + documents.size() + " YAML documents separated by '---'; run them one at a time.");
    }
    problems.throwIfAny();
    List<JobSpec> specs = new ArrayList<>();
    for (int i = 0; i < documents.size(); i++) {
      problems.setDocument(i, documents.size() > 1);
      Node root = AdapterExpander.expand(documents.get(i), problems, adapters);
      String text = documents.size() == 1 ? yamlText : documentText(yamlText, root);
      JobSpec spec = parseOne(root, text, problems, catalog);
      if (spec != null) {
        specs.add(spec);
      }
    }
    problems.throwIfAny();
    return specs;
  }

  /** A candidate's config as block-style YAML (its mergekit_config.yml). */
  private static String yamlText(Node root) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    java.io.StringWriter out = new java.io.StringWriter();
    new Yaml(options).serialize(root, out);
    return out.toString();
  }

  /** The non-empty documents, or none after reporting a syntax error with its position. */
  private static List<Node> compose(String yamlText, Problems problems) {
    List<Node> out = new ArrayList<>();
    try {
      Yaml yaml = new Yaml(new LoaderOptions());
      for (Node n : yaml.composeAll(new StringReader(yamlText))) {
        if (n != null && !Scalars.isNull(n)) {
          out.add(n);
        }
      }
    } catch (MarkedYAMLException e) {
      String what = e.getProblem() == null ? "invalid YAML" : e.getProblem();
      String context = e.getContext() == null ? "" : " (" + e.getContext() + ")";
      problems.add(e.getProblemMark(), "", "YAML syntax error: " + what + context + ".");
      return List.of();
    } catch (YAMLException e) {
      problems.add((Node) null, "", "YAML syntax error: " + e.getMessage());
      return List.of();
    }
    return out;
  }

  /** The text of one document of several (from its first to its last node). */
  private static String documentText(String text, Node root) {
    try {
      int start = text.offsetByCodePoints(0, root.getStartMark().getIndex());
      int end = text.offsetByCodePoints(0, root.getEndMark().getIndex());
      return text.substring(start, end).stripTrailing() + "\n";
    } catch (IndexOutOfBoundsException e) {
      return text; // marks are a convenience here; fall back to the whole file
    }
  }
}
