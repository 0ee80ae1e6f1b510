package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Checks a parsed config against the chosen method's {@link MethodRules}: parameter names,
 * scopes, kinds and ranges (every scalar, gradient anchor and filtered value), required values,
 * and the base model. These are the mistakes mergekit ignores silently or reports only after
 * downloading every model.
 *
 * <p>Required parameters: a required parameter is satisfied for a model (per-model) or a slice
 * (global) when some level on its lookup path sets it without a filter, or with a "*" entry, so
 * every tensor gets a value. Values given only under filters are reported, because tensors no
 * filter matches (embeddings, norms) would have none. The base model never needs per-model values,
 * as in mergekit. A parameter whose value could not be parsed anywhere is not reported missing
 * again.
 *
 * <p>{@link Constraint}s over several parameters run only when every value they read passed the
 * per-value checks, so one mistake is reported once.
 */
final class MethodChecks {
  /** A tensor name that contains no filter, for "tensors no filter matches". */
  private static final String NO_MATCH = "\0";

  private final Problems problems;
  private final JobParser.Parsed parsed;
  private final MethodRules rules;
  private final String method;
  /** Names with a value problem somewhere (or no valid rule): constraints skip them. */
  private final Set<String> badValues = new LinkedHashSet<>();

  private MethodChecks(JobParser.Parsed parsed, Problems problems) {
    this.problems = problems;
    this.parsed = parsed;
    this.rules = parsed.rules();
    this.method = parsed.spec().mergeMethod();
  }

  static void check(JobParser.Parsed parsed, Problems problems) {
    if (parsed.rules() == null) {
      return; // unknown method: already reported, nothing to check against
    }
    MethodChecks c = new MethodChecks(parsed, problems);
    for (ParamSite site : parsed.sites()) {
      c.checkSite(site);
    }
    c.checkBaseModel();
    for (Constraint constraint : c.rules.constraints) {
      if (!parsed.unparsedParameters().stream().anyMatch(constraint.parameters()::contains)
          && !c.badValues.stream().anyMatch(constraint.parameters()::contains)) {
        c.checkConstraint(constraint);
      }
    }
    for (ParamRule rule : c.rules.params) {
      if (rule.required && !parsed.unparsedParameters().contains(rule.name)) {
        if (rule.perModel) {
          c.checkRequiredPerModel(rule);
        } else {
          c.checkRequiredGlobal(rule);
        }
      }
    }
  }

  // ---- one written parameter ------------------------------------------------------------------

  private void checkSite(ParamSite site) {
    ParamRule rule = rules.param(site.name());
    if (rule == null) {
      problems.add(site.keyNode(), site.path(), "merge method '" + method + "' has no parameter '"
          + site.name() + "'." + Suggest.didYouMean(site.name(), rules.paramNames())
          + (rules.params.isEmpty() ? " It takes no parameters."
              : " Its parameters: " + String.join(", ", rules.paramNames()) + "."));
      return;
    }
    if (!rule.perModel && site.level() == ParamSite.Level.SOURCE) {
      problems.add(site.keyNode(), site.path(), "'" + rule.name + "' is a global parameter of "
          + method + ": it is read once per tensor from the "
          + (parsed.spec().slicesSyntax() ? "slice's or the top-level" : "top-level")
          + " 'parameters', never from a model's own (mergekit silently ignores it here). Move "
          + "it to " + (parsed.spec().slicesSyntax()
              ? "this slice's 'parameters:' or the top-level 'parameters:'."
              : "the top-level 'parameters:'."));
    }
    int before = problems.size();
    for (ParamSite.Value v : site.values()) {
      checkValue(rule, v);
    }
    if (problems.size() != before) {
      badValues.add(rule.name);
    }
  }

  private void checkValue(ParamRule rule, ParamSite.Value v) {
    if (rule.kind == ParamRule.Kind.CHOICE) {
      if (v.choice() == null) {
        problems.add(v.node(), v.path(), "'" + rule.name + "' takes one of "
            + String.join(", ", rule.choices) + ", not a number.");
      } else if (!rule.choices.contains(v.choice())) {
        problems.add(v.node(), v.path(), "'" + v.choice() + "' is not a valid '" + rule.name
            + "'." + Suggest.didYouMean(v.choice(), rule.choices) + " Valid values: "
            + String.join(", ", rule.choices) + ".");
      }
      return;
    }
    if (v.choice() != null) {
      problems.add(v.node(), v.path(), "'" + v.choice() + "' is not a number; '" + rule.name
          + "' of " + method + " takes " + kindText(rule) + ".");
      return;
    }
    double[] a = v.anchors();
    if (a.length > 1 && rule.kind != ParamRule.Kind.NUMBER) {
      problems.add(v.node(), v.path(), "'" + rule.name + "' takes " + kindText(rule)
          + " and cannot vary across layers; give a single value, not a gradient.");
      return;
    }
    for (int i = 0; i < a.length; i++) {
      Node n = v.anchorNodes().get(i);
      String path = a.length > 1 ? v.path() + "[" + i + "]" : v.path();
      String shown = n instanceof ScalarNode ? ((ScalarNode) n).getValue() : Double.toString(a[i]);
      if (rule.kind == ParamRule.Kind.BOOLEAN && a[i] != 0 && a[i] != 1) {
        problems.add(n, path, "'" + rule.name + "' takes true or false, not " + shown + ".");
      } else if (rule.kind == ParamRule.Kind.INTEGER && a[i] != Math.rint(a[i])) {
        problems.add(n, path, "'" + rule.name + "' takes a whole number, not " + shown + ".");
      } else if (!rule.inRange(a[i])) {
        problems.add(n, path, "'" + rule.name + "' = " + shown + " is out of range for " + method
            + ": allowed " + rule.rangeText() + (a.length > 1 ? " at every gradient point" : "")
            + ".");
      }
    }
  }

  private static String kindText(ParamRule rule) {
    switch (rule.kind) {
      case INTEGER:
        return "a whole number";
      case BOOLEAN:
        return "true or false";
      default:
        return "a number or a list of numbers (a gradient)";
    }
  }

  // ---- base model -----------------------------------------------------------------------------

  private void checkBaseModel() {
    if (!rules.baseModelRequired) {
      return;
    }
    JobSpec spec = parsed.spec();
    List<Located<SliceSpec>> slices = parsed.slices();
    List<Integer> withoutBase = new ArrayList<>();
    for (int i = 0; i < slices.size(); i++) {
      if (spec.baseModelOf(slices.get(i).value()) == null) {
        withoutBase.add(i);
      }
    }
    if (spec.baseModel() == null && (slices.isEmpty() || withoutBase.size() == slices.size())) {
      problems.add((Node) null, "base_model", "merge method '" + method + "' needs a base "
          + "model; add 'base_model: <path>' at the top level.");
      return;
    }
    for (int i : withoutBase) {
      Located<SliceSpec> s = slices.get(i);
      problems.add(s.node(), s.path(), "merge method '" + method + "' needs a base model for "
          + "this slice; add 'base_model: <path>' to it or at the top level.");
    }
    if (!spec.slicesSyntax()) {
      return; // models: syntax appends the base itself
    }
    for (Located<SliceSpec> s : slices) {
      ModelRef base = spec.baseModelOf(s.value());
      if (base == null) {
        continue;
      }
      boolean listed = false;
      for (SourceSpec src : s.value().sources()) {
        listed |= src.model().equals(base);
      }
      if (!listed) {
        problems.add(s.node(), s.path() + ".sources", "the base model '" + base.display()
            + "' is not one of this slice's sources; " + method + " reads the base's layers "
            + "from the slice, so add '- model: " + base.display() + "' with a layer_range of "
            + "the same length.");
      }
    }
  }

  // ---- required parameters --------------------------------------------------------------------

  private void checkRequiredGlobal(ParamRule rule) {
    JobSpec spec = parsed.spec();
    ParameterSetting top = spec.parameters().get(rule.name);
    if (top != null && top.matchesEveryTensor()) {
      return;
    }
    List<Located<SliceSpec>> missing = new ArrayList<>();
    Set<String> filters = new LinkedHashSet<>(top == null ? List.of() : nonNull(top.filters()));
    for (Located<SliceSpec> s : parsed.slices()) {
      ParameterSetting own = s.value().parameters().get(rule.name);
      if (own != null && own.matchesEveryTensor()) {
        continue;
      }
      if (own != null) {
        filters.addAll(nonNull(own.filters()));
      }
      missing.add(s);
    }
    if (missing.isEmpty()) {
      return;
    }
    String fix = "add '" + rule.name + ": <value>' under the top-level 'parameters:'"
        + (spec.slicesSyntax() ? " (or each slice's)" : "");
    if (!filters.isEmpty()) {
      problems.add(topKey(rule.name), "parameters." + rule.name, "'" + rule.name + "' is required by "
          + method + " but set only with filters (" + String.join(", ", filters) + "), so "
          + "tensors no filter matches (embeddings, norms) would have no value; add a last "
          + "entry without a filter, e.g. '- value: 0.5'.");
    } else if (missing.size() == parsed.slices().size() || !spec.slicesSyntax()) {
      problems.add((Node) null, "parameters." + rule.name, "missing required parameter '"
          + rule.name + "' of " + method + "; " + fix + ".");
    } else {
      for (Located<SliceSpec> s : missing) {
        problems.add(s.node(), s.path(), "missing required parameter '" + rule.name + "' of "
            + method + " for this slice; " + fix + ".");
      }
    }
  }

  private void checkRequiredPerModel(ParamRule rule) {
    JobSpec spec = parsed.spec();
    ParameterSetting top = spec.parameters().get(rule.name);
    if (top != null && top.matchesEveryTensor()) {
      return;
    }
    List<Located<SourceSpec>> missing = new ArrayList<>();
    List<Located<SourceSpec>> filteredOnly = new ArrayList<>();
    int candidates = 0;
    for (int i = 0; i < parsed.slices().size(); i++) {
      SliceSpec slice = parsed.slices().get(i).value();
      ModelRef base = spec.baseModelOf(slice);
      ParameterSetting atSlice = slice.parameters().get(rule.name);
      if (atSlice != null && atSlice.matchesEveryTensor()) {
        continue;
      }
      for (Located<SourceSpec> src : parsed.sources().get(i)) {
        if (src.value().model().equals(base)) {
          continue; // mergekit never requires per-model values for the base
        }
        candidates++;
        ParameterSetting own = src.value().parameters().get(rule.name);
        if (own != null && own.matchesEveryTensor()) {
          continue;
        }
        if (own != null || atSlice != null || top != null) {
          filteredOnly.add(src);
        } else {
          missing.add(src);
        }
      }
    }
    String where = spec.slicesSyntax() ? "source's" : "model's";
    if (!missing.isEmpty() && missing.size() == candidates && top == null) {
      problems.add((Node) null, "parameters." + rule.name, "missing required parameter '"
          + rule.name + "' of " + method + " for every model; add '" + rule.name + ": <value>' "
          + "to each " + where + " 'parameters:', or once under the top-level 'parameters:'.");
    } else {
      for (Located<SourceSpec> s : missing) {
        problems.add(s.node(), s.path(), "missing required parameter '" + rule.name + "' of "
            + method + " for '" + s.value().model().display() + "'; add '" + rule.name
            + ": <value>' to this " + where + " 'parameters:' (or under the top-level "
            + "'parameters:' for every model).");
      }
    }
    for (Located<SourceSpec> s : filteredOnly) {
      problems.add(s.node(), s.path(), "'" + rule.name + "' is required by " + method
          + " but set only with filters for '" + s.value().model().display() + "', so tensors "
          + "no filter matches (embeddings, norms) would have no value; add an entry without a "
          + "filter, e.g. '- value: 0.5', at this or the top level.");
    }
  }

  // ---- constraints over several parameters ----------------------------------------------------

  /**
   * Evaluates {@code constraint} for every non-base source (or every slice, when it reads only
   * global parameters) at every filter and every gradient anchor position, and reports the first
   * failure of each.
   */
  private void checkConstraint(Constraint constraint) {
    boolean perModel = false;
    for (String name : constraint.parameters()) {
      perModel |= rules.param(name).perModel;
    }
    JobSpec spec = parsed.spec();
    for (int i = 0; i < parsed.slices().size(); i++) {
      Located<SliceSpec> slice = parsed.slices().get(i);
      List<Located<SourceSpec>> targets = new ArrayList<>();
      if (perModel) {
        for (Located<SourceSpec> src : parsed.sources().get(i)) {
          if (!src.value().model().equals(spec.baseModelOf(slice.value()))) {
            targets.add(src);
          }
        }
      } else {
        targets.add(null);
      }
      for (Located<SourceSpec> target : targets) {
        String failure = firstFailure(constraint, slice.value(),
            target == null ? null : target.value());
        if (failure != null) {
          problems.add(target == null ? slice.node() : target.node(),
              target == null ? slice.path() : target.path(), failure);
        }
      }
    }
  }

  private String firstFailure(Constraint constraint, SliceSpec slice, SourceSpec source) {
    JobSpec spec = parsed.spec();
    List<ParameterSetting> settings = new ArrayList<>();
    for (String name : constraint.parameters()) {
      if (source != null && rules.param(name).perModel) {
        settings.add(source.parameters().get(name));
      }
      settings.add(slice.parameters().get(name));
      settings.add(spec.parameters().get(name));
    }
    Set<String> names = new LinkedHashSet<>();
    Set<Double> positions = new TreeSet<>(List.of(0.0, 1.0));
    for (ParameterSetting s : settings) {
      if (s == null) {
        continue;
      }
      for (ParameterSetting.Entry e : s.entries()) {
        if (e.filter != null && !e.filter.equals("*")) {
          names.add(e.filter); // a tensor name containing exactly this filter
        }
        if (e.anchors != null) {
          for (int k = 1; k < e.anchors.length - 1; k++) {
            positions.add((double) k / (e.anchors.length - 1));
          }
        }
      }
    }
    names.add(NO_MATCH); // a name no filter matches
    for (String tensor : names) {
      for (double t : positions) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String name : constraint.parameters()) {
          values.put(name, source != null && rules.param(name).perModel
              ? ParameterResolver.perModel(name, spec, slice, source, tensor, t)
              : ParameterResolver.global(name, spec, slice, tensor, t));
        }
        String failure = constraint.check(values);
        if (failure != null) {
          return "for " + (tensor.equals(NO_MATCH) ? "tensors matching no filter"
              : "tensors matching '" + tensor + "'") + " at layer position t = "
              + ParamRule.fmt(Math.round(t * 1e4) / 1e4) + ": " + failure;
        }
      }
    }
    return null;
  }

  /** The key node of a top-level parameter, or null. */
  private Node topKey(String name) {
    for (ParamSite site : parsed.sites()) {
      if (site.level() == ParamSite.Level.TOP && site.name().equals(name)) {
        return site.keyNode();
      }
    }
    return null;
  }

  private static List<String> nonNull(List<String> filters) {
    List<String> out = new ArrayList<>();
    for (String f : filters) {
      if (f != null) {
        out.add(f);
      }
    }
    return out;
  }
}
