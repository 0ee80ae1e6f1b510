package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Turns one YAML document into a {@link JobSpec}, checking structure (keys, shapes, layer ranges,
 * model references, dtypes, tokenizer) and normalising {@code models:} into one slice
 * (reference/mergekit.md §2.1). Method-specific checks are {@link MethodChecks}'s job; this class
 * keeps every parameter's location for them. Problems are collected, never thrown here.
 */
final class JobParser {
  static final Set<String> TOP_KEYS = keys("merge_method", "base_model", "models", "slices",
      "modules", "parameters", "dtype", "out_dtype", "tokenizer_source", "tokenizer",
      "chat_template", "seed", "output", "evaluate", "select");
  static final Set<String> MODEL_KEYS = keys("model", "parameters");
  static final Set<String> SLICE_KEYS = keys("sources", "base_model", "parameters",
      "residual_weight");
  static final Set<String> SOURCE_KEYS = keys("model", "layer_range", "parameters");
  static final Set<String> TOKENIZER_KEYS = keys("source", "tokens", "pad_to_multiple_of");

  /** The result: the spec plus where its parts were written. */
  record Parsed(
      JobSpec spec, MethodRules rules, List<ParamSite> sites, Node root,
      List<Located<SliceSpec>> slices, List<List<Located<SourceSpec>>> sources,
      Set<String> unparsedParameters) {}

  private final Problems problems;
  private final MethodCatalog catalog;
  private final List<ParamSite> sites = new ArrayList<>();
  private final Set<String> unparsed = new LinkedHashSet<>();
  private final ParameterParser parameterParser;
  private final List<Located<SliceSpec>> sliceLocs = new ArrayList<>();
  private final List<List<Located<SourceSpec>>> sourceLocs = new ArrayList<>();
  private Collection<String> parameterNames = List.of();

  JobParser(Problems problems, MethodCatalog catalog) {
    this.problems = problems;
    this.catalog = catalog;
    this.parameterParser = new ParameterParser(problems, sites, unparsed);
  }

  private static Set<String> keys(String... names) {
    return new LinkedHashSet<>(List.of(names));
  }

  /** Null when the document is not a mapping at all (already reported). */
  Parsed parse(Node root, String sourceText) {
    if (!(root instanceof MappingNode)) {
      problems.add(root, "", "a merge config is a mapping with 'merge_method' and 'models' or "
          + "'slices', found " + Scalars.show(root) + ".");
      return null;
    }
    // Read the method first: its parameter names sharpen the hints for misplaced keys.
    Fields top = Fields.read((MappingNode) root, "", TOP_KEYS, allParameterNames(), problems);
    String method = null;
    MethodRules rules = null;
    Node methodNode = top.get("merge_method");
    if (methodNode == null) {
      problems.add(root, "merge_method", "missing; add e.g. 'merge_method: linear'. Valid "
          + "methods: " + String.join(", ", catalog.methodNames()) + ".");
    } else if (!(methodNode instanceof ScalarNode) || Scalars.isNull(methodNode)) {
      problems.add(methodNode, "merge_method", "expected a method name, found "
          + Scalars.show(methodNode) + ".");
    } else {
      method = ((ScalarNode) methodNode).getValue().trim();
      if (catalog.methodNames().contains(method)) {
        rules = Objects.requireNonNull(catalog.rules(method),
            "the method catalog has no rules for a method it lists");
        parameterNames = rules.paramNames();
      } else {
        problems.add(methodNode, "merge_method", "unknown merge method '" + method + "'."
            + Suggest.didYouMean(method.replace('-', '_'), catalog.methodNames())
            + " Valid methods: " + String.join(", ", catalog.methodNames()) + ".");
      }
    }

    ModelRef base = top.has("base_model") && !Scalars.isNull(top.get("base_model"))
        ? ModelRefParser.parse(top.get("base_model"), "base_model", problems) : null;
    ParameterSet topParams = top.has("parameters")
        ? parameterParser.parseSet(top.get("parameters"), "parameters", ParamSite.Level.TOP, -1,
            -1)
        : ParameterSet.EMPTY;

    int forms = (top.has("models") ? 1 : 0) + (top.has("slices") ? 1 : 0)
        + (top.has("modules") ? 1 : 0);
    if (top.has("modules")) {
      problems.add(top.keyNode("modules"), "modules", "not supported yet: write the merge with "
          + "'models:' or 'slices:' (multi-module architectures such as VLMs are not supported).");
    }
    boolean slicesSyntax = top.has("slices");
    List<SliceSpec> slices = new ArrayList<>();
    boolean autoAppended = false;
    if (forms != 1) {
      problems.add(forms == 0 ? root : top.keyNode("slices"), "", forms == 0
          ? "the config needs exactly one of 'models' (merge whole models) or 'slices' (merge "
              + "layer ranges); neither is present."
          : "the config needs exactly one of 'models' or 'slices'; remove all but one.");
    } else if (top.has("models")) {
      autoAppended = parseModels(top.get("models"), base, slices);
    } else if (slicesSyntax) {
      parseSlices(top.get("slices"), slices);
    }

    String dtype = dtype(top, "dtype");
    String outDtype = dtype(top, "out_dtype");
    String tokenizer = tokenizer(top);
    if (top.has("chat_template")) {
      problems.add(top.keyNode("chat_template"), "chat_template", "not supported yet: remove it "
          + "and set 'chat_template' in the output's tokenizer_config.json after merging.");
    }
    long seed = seed(top);
    OutputSpec output = OutputParser.parse(top, method, base, slicesSyntax, slices, problems);
    EvaluationSpec evaluation = EvaluationParser.parseEvaluate(top, problems);
    SelectionSpec selection = EvaluationParser.parseSelect(top, evaluation, problems);

    JobSpec spec = new JobSpec(null, method == null ? "" : method, base, slicesSyntax, slices,
        autoAppended, topParams, dtype, outDtype, tokenizer, seed, sourceText, output, evaluation,
        selection);
    return new Parsed(spec, rules, List.copyOf(sites), root, sliceLocs, sourceLocs,
        Set.copyOf(unparsed));
  }

  private Collection<String> allParameterNames() {
    Set<String> all = new TreeSet<>();
    for (String m : catalog.methodNames()) {
      MethodRules r = catalog.rules(m);
      if (r != null) {
        all.addAll(r.paramNames());
      }
    }
    return all;
  }

  // ---- models: syntax -------------------------------------------------------------------------

  /** Returns whether the base was auto-appended. */
  private boolean parseModels(Node node, ModelRef base, List<SliceSpec> slices) {
    List<Node> items = list(node, "models", "a list of '- model: <path>' entries");
    if (items == null) {
      return false;
    }
    List<SourceSpec> sources = new ArrayList<>();
    List<Located<SourceSpec>> locs = new ArrayList<>();
    Map<ModelRef, Integer> seen = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String path = "models[" + i + "]";
      Node item = items.get(i);
      if (!(item instanceof MappingNode)) {
        problems.add(item, path, "expected '- model: <path>' (with optional 'parameters:'), "
            + "found " + Scalars.show(item) + ".");
        continue;
      }
      Fields f = Fields.read((MappingNode) item, path, MODEL_KEYS, parameterNames, problems);
      ModelRef ref = requiredModel(f, item, path);
      ParameterSet params = f.has("parameters")
          ? parameterParser.parseSet(f.get("parameters"), f.path("parameters"),
              ParamSite.Level.SOURCE, 0, i)
          : ParameterSet.EMPTY;
      if (ref == null) {
        continue;
      }
      Integer first = seen.putIfAbsent(ref, i);
      if (first != null) {
        problems.add(f.get("model"), f.path("model"), "'" + ref.display() + "' is already "
            + "models[" + first + "]; list each model once.");
        continue;
      }
      SourceSpec s = new SourceSpec(ref, null, params);
      sources.add(s);
      locs.add(new Located<>(s, item, path));
    }
    boolean appended = false;
    if (base != null && !seen.containsKey(base) && !sources.isEmpty()) {
      // mergekit §2.1: the base joins the inputs, last, without parameters.
      SourceSpec s = new SourceSpec(base, null, ParameterSet.EMPTY);
      sources.add(s);
      appended = true;
    }
    if (!sources.isEmpty()) {
      SliceSpec slice = new SliceSpec(sources, null, ParameterSet.EMPTY);
      slices.add(slice);
      sliceLocs.add(new Located<>(slice, node, "models"));
      sourceLocs.add(locs);
    }
    return appended;
  }

  private ModelRef requiredModel(Fields f, Node item, String path) {
    if (!f.has("model")) {
      problems.add(item, path, "missing 'model: <path>'.");
      return null;
    }
    return ModelRefParser.parse(f.get("model"), f.path("model"), problems);
  }

  // ---- slices: syntax -------------------------------------------------------------------------

  private void parseSlices(Node node, List<SliceSpec> slices) {
    List<Node> items = list(node, "slices", "a list of '- sources: [...]' entries");
    if (items == null) {
      return;
    }
    for (int i = 0; i < items.size(); i++) {
      String path = "slices[" + i + "]";
      Node item = items.get(i);
      if (!(item instanceof MappingNode)) {
        problems.add(item, path, "expected a slice ('- sources: [...]'), found "
            + Scalars.show(item) + ".");
        continue;
      }
      Fields f = Fields.read((MappingNode) item, path, SLICE_KEYS, parameterNames, problems);
      if (f.has("residual_weight")) {
        problems.add(f.keyNode("residual_weight"), f.path("residual_weight"), "mergekit parses "
            + "this key but never uses it, so it has no effect; remove it.");
      }
      ModelRef base = f.has("base_model") && !Scalars.isNull(f.get("base_model"))
          ? ModelRefParser.parse(f.get("base_model"), f.path("base_model"), problems) : null;
      ParameterSet params = f.has("parameters")
          ? parameterParser.parseSet(f.get("parameters"), f.path("parameters"),
              ParamSite.Level.SLICE, i, -1)
          : ParameterSet.EMPTY;
      List<Located<SourceSpec>> locs = parseSources(f, item, path, i);
      if (locs == null) {
        continue;
      }
      List<SourceSpec> sources = new ArrayList<>();
      for (Located<SourceSpec> l : locs) {
        sources.add(l.value());
      }
      checkLengths(locs, f.get("sources"), f.path("sources"));
      SliceSpec slice = new SliceSpec(sources, base, params);
      slices.add(slice);
      sliceLocs.add(new Located<>(slice, item, path));
      sourceLocs.add(locs);
    }
  }

  /** Null when the slice has no usable sources at all. */
  private List<Located<SourceSpec>> parseSources(Fields slice, Node sliceNode, String slicePath,
      int sliceIndex) {
    if (!slice.has("sources")) {
      problems.add(sliceNode, slicePath, "missing 'sources:' (the models and layer ranges this "
          + "slice takes).");
      return null;
    }
    List<Node> items = list(slice.get("sources"), slice.path("sources"),
        "a list of '- model: <path>' entries with 'layer_range: [start, end]'");
    if (items == null) {
      return null;
    }
    List<Located<SourceSpec>> out = new ArrayList<>();
    Map<ModelRef, Integer> seen = new LinkedHashMap<>();
    boolean complete = true;
    for (int j = 0; j < items.size(); j++) {
      String path = slice.path("sources") + "[" + j + "]";
      Node item = items.get(j);
      if (!(item instanceof MappingNode)) {
        problems.add(item, path, "expected '- model: <path>' with 'layer_range: [start, end]', "
            + "found " + Scalars.show(item) + ".");
        complete = false;
        continue;
      }
      Fields f = Fields.read((MappingNode) item, path, SOURCE_KEYS, parameterNames, problems);
      ModelRef ref = requiredModel(f, item, path);
      int[] range = layerRange(f, item, path);
      ParameterSet params = f.has("parameters")
          ? parameterParser.parseSet(f.get("parameters"), f.path("parameters"),
              ParamSite.Level.SOURCE, sliceIndex, j)
          : ParameterSet.EMPTY;
      if (ref == null || range == null) {
        complete = false;
        continue;
      }
      Integer first = seen.putIfAbsent(ref, j);
      if (first != null) {
        problems.add(f.get("model"), f.path("model"), "'" + ref.display() + "' is already "
            + "source " + first + " of this slice; a model can appear once per slice.");
        complete = false;
        continue;
      }
      out.add(new Located<>(new SourceSpec(ref, range, params), item, path));
    }
    return complete && !out.isEmpty() ? out : null;
  }

  private int[] layerRange(Fields f, Node item, String path) {
    Node node = f.get("layer_range");
    String p = f.path("layer_range");
    if (node == null) {
      problems.add(item, path, "missing 'layer_range: [start, end]' (end exclusive).");
      return null;
    }
    if (!(node instanceof SequenceNode) || ((SequenceNode) node).getValue().size() != 2) {
      problems.add(node, p, "expected two layer numbers '[start, end]' (end exclusive), found "
          + Scalars.show(node) + ".");
      return null;
    }
    int[] r = new int[2];
    for (int k = 0; k < 2; k++) {
      Node n = ((SequenceNode) node).getValue().get(k);
      Double v = n instanceof ScalarNode && !Scalars.isBool((ScalarNode) n)
          ? Scalars.number((ScalarNode) n) : null;
      if (v == null || v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
        problems.add(n, p + "[" + k + "]", "a layer number is a whole number >= 0, not "
            + Scalars.show(n) + ".");
        return null;
      }
      r[k] = (int) (double) v;
    }
    if (r[0] >= r[1]) {
      problems.add(node, p, "[" + r[0] + ", " + r[1] + "] is empty: the end is exclusive and "
          + "must be greater than the start (layers 3 to 5 are [3, 6]).");
      return null;
    }
    return r;
  }

  private void checkLengths(List<Located<SourceSpec>> sources, Node node, String path) {
    Set<Integer> lengths = new LinkedHashSet<>();
    StringBuilder detail = new StringBuilder();
    for (Located<SourceSpec> l : sources) {
      int[] r = l.value().layerRange();
      lengths.add(r[1] - r[0]);
      detail.append(detail.length() == 0 ? "" : ", ").append(l.value().model().display())
          .append(" [").append(r[0]).append(", ").append(r[1]).append(") = ")
          .append(r[1] - r[0]);
    }
    if (lengths.size() > 1) {
      problems.add(node, path, "all sources of a slice must have the same number of layers; "
          + "found " + detail + ". Adjust the layer ranges.");
    }
  }

  // ---- other top-level keys -------------------------------------------------------------------

  private List<Node> list(Node node, String path, String expected) {
    if (!(node instanceof SequenceNode)) {
      problems.add(node, path, "expected " + expected + ", found " + Scalars.show(node) + ".");
      return null;
    }
    List<Node> items = ((SequenceNode) node).getValue();
    if (items.isEmpty()) {
      problems.add(node, path, "the list is empty; expected " + expected + ".");
      return null;
    }
    return items;
  }

  private String dtype(Fields top, String key) {
    Node node = top.get(key);
    if (Scalars.isNull(node)) {
      return null;
    }
    if (!(node instanceof ScalarNode)) {
      problems.add(node, key, "expected one of " + String.join(", ", Dtypes.VALID) + ".");
      return null;
    }
    String text = ((ScalarNode) node).getValue();
    String d = Dtypes.normalise(text);
    if (d == null) {
      problems.add(node, key, Dtypes.problem(text));
    }
    return d;
  }

  /** "base", a model path, or null. */
  private String tokenizer(Fields top) {
    boolean legacy = top.has("tokenizer_source") && !Scalars.isNull(top.get("tokenizer_source"));
    boolean modern = top.has("tokenizer") && !Scalars.isNull(top.get("tokenizer"));
    if (legacy && modern) {
      problems.add(top.keyNode("tokenizer"), "tokenizer", "cannot be combined with "
          + "'tokenizer_source'; keep one of them (e.g. 'tokenizer_source: base').");
      return null;
    }
    if (legacy) {
      return tokenizerSource(top.get("tokenizer_source"), "tokenizer_source");
    }
    if (!modern) {
      return null;
    }
    Node node = top.get("tokenizer");
    if (!(node instanceof MappingNode)) {
      problems.add(node, "tokenizer", "expected '{source: base}' or '{source: <model>}', found "
          + Scalars.show(node) + ".");
      return null;
    }
    Fields f = Fields.read((MappingNode) node, "tokenizer", TOKENIZER_KEYS, List.of(), problems);
    for (String unsupported : List.of("tokens", "pad_to_multiple_of")) {
      if (f.has(unsupported)) {
        problems.add(f.keyNode(unsupported), f.path(unsupported), "not supported yet; remove it "
            + "(sparkmerge copies the tokenizer of the chosen source unchanged).");
      }
    }
    if (!f.has("source") || Scalars.isNull(f.get("source"))) {
      problems.add(node, "tokenizer.source", "missing; mergekit's default is 'union', which is "
          + "not supported yet. Write 'source: base' or 'source: <model path>'.");
      return null;
    }
    return tokenizerSource(f.get("source"), "tokenizer.source");
  }

  private String tokenizerSource(Node node, String path) {
    if (node instanceof ScalarNode) {
      String text = ((ScalarNode) node).getValue().trim();
      if (text.equals("base")) {
        return "base";
      }
      if (text.equals("union")) {
        problems.add(node, path, "'union' is not supported yet: sparkmerge cannot build a "
            + "combined vocabulary. Use 'base' or the path of the model whose tokenizer to copy.");
        return null;
      }
    }
    ModelRef ref = ModelRefParser.parse(node, path, problems);
    return ref == null ? null : ref.path();
  }

  private long seed(Fields top) {
    Node node = top.get("seed");
    if (Scalars.isNull(node)) {
      return JobSpec.DEFAULT_SEED;
    }
    if (node instanceof ScalarNode
        && ((ScalarNode) node).getValue().trim().matches("[-+]?[0-9][0-9_]*")) {
      try {
        return Long.parseLong(((ScalarNode) node).getValue().trim().replace("_", ""));
      } catch (NumberFormatException e) {
        problems.add(node, "seed", "does not fit in 64 bits; use a smaller whole number.");
        return JobSpec.DEFAULT_SEED;
      }
    }
    // "1e3" and friends: numeric strings are numbers, as everywhere else in a config.
    Double v = node instanceof ScalarNode && !Scalars.isBool((ScalarNode) node)
        ? Scalars.number((ScalarNode) node) : null;
    if (v == null || v != Math.rint(v) || Math.abs(v) > 9.007199254740992E15) {
      problems.add(node, "seed", "expected a whole number (e.g. 'seed: 1234'), found "
          + Scalars.show(node) + ".");
      return JobSpec.DEFAULT_SEED;
    }
    return (long) (double) v;
  }
}
