package dev.sparkmerge.report;

import dev.sparkmerge.report.ReportData.Candidate;
import dev.sparkmerge.report.ReportData.Score;
import dev.sparkmerge.report.ReportData.Selection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Which charts a report has and what is in them, decided from the data alone: per-layer
 * statistics when the output has a statistics table, the cosine heat map, the selected metric
 * against each grid parameter when a grid was scored, the energy kept per module of a combined
 * adapter. Charts with nothing to show are left out.
 */
public final class ReportCharts {
  private ReportCharts() {}

  /** The figures of {@code data}, in page order. */
  public static List<Figure> of(ReportData data) {
    List<Figure> out = new ArrayList<>();
    grid(data, out);
    statistics(data, out);
    adapter(data, out);
    return out;
  }

  /** The names of the inputs as the charts label them (config order, non-base inputs). */
  static List<String> inputLabels(ReportData data) {
    List<String> names = new ArrayList<>(data.inputNames());
    int n = data.tensors().isEmpty() ? names.size()
        : data.tensors().get(0).cosineToInputs().length;
    if (names.size() != n) {
      names.clear();
      for (int i = 1; i <= n; i++) {
        names.add("input " + i);
      }
    }
    return InputLabels.of(names);
  }

  private static void statistics(ReportData data, List<Figure> out) {
    if (data.tensors().isEmpty()) {
      return;
    }
    LayerStats stats = LayerStats.of(data.tensors());
    List<String> groups = stats.groups();
    List<String> inputs = inputLabels(data);
    Map<String, double[]> norms = byLayer(stats, groups, LayerStats.Group::deltaL2);
    if (stats.exactCosine()) {
      String first = stats.models().get(0);
      for (int i = 0; i < inputs.size(); i++) {
        int input = i;
        norms.put("input " + inputs.get(i), perGroup(stats, first, groups,
            g -> g.inputL2()[input]));
      }
    }
    out.add(new Figure(new SeriesChart("norm-by-layer", "Task-vector norm per layer",
        "layer", "L2 norm of W \u2212 W_base", groups, norms, Map.of()),
        "The L2 norm of each merged model's delta from the base (root of the summed squares of"
            + " the layer's tensors" + (stats.exactCosine() ? "), and of each input's delta."
                : "). Input norms are not in the statistics table (no input_l2 column).")));
    out.add(new Figure(new SeriesChart("kept-by-layer", "Elements changed by the merge",
        "layer", "changed fraction", groups,
        byLayer(stats, groups, LayerStats.Group::changedFraction), Map.of()),
        "Fraction of the layer's elements that differ from the base (changed_fraction,"
            + " weighted by element count): what the trim kept."));
    out.add(new Figure(new SeriesChart("sign-agreement-by-layer", "Sign agreement of the inputs",
        "layer", "1 \u2212 sign conflict rate", groups,
        mergeIdentical(byLayer(stats, groups, LayerStats.Group::signAgreement)), Map.of()),
        "Fraction of the layer's elements where the inputs' deltas do not disagree in sign"
            + " (1 \u2212 sign_conflict_rate, weighted by element count). A property of the"
            + " inputs, so models merging the same inputs share one line."));
    out.add(new Figure(cosineHeatMap(data, stats, groups, inputs),
        "Cosine between the merged delta and each input's delta: a merge close to one input"
            + " shows red in its column. Pairwise cosines between the inputs are not recorded."
            + (stats.exactCosine() ? "" : " Aggregates over tensors are element-weighted means"
                + " of the per-tensor cosines (exact ones need input_l2 in the table).")));
  }

  private static HeatMapChart cosineHeatMap(ReportData data, LayerStats stats,
      List<String> groups, List<String> inputs) {
    List<String> rows = new ArrayList<>();
    List<double[]> values = new ArrayList<>();
    if (data.kind() == ReportData.Kind.GRID) {
      for (String m : stats.models()) {
        rows.add(m);
        values.add(stats.whole(m).cosine());
      }
      return new HeatMapChart("cosine-heatmap", "Cosine of each candidate's delta with each"
          + " input's", "candidate", "input", rows, inputs, values.toArray(new double[0][]), -1,
          1);
    }
    String m = stats.models().get(0);
    for (String g : groups) {
      LayerStats.Group group = stats.group(m, g);
      rows.add(g);
      values.add(group == null ? nan(inputs.size()) : group.cosine());
    }
    return new HeatMapChart("cosine-heatmap", "Cosine of the merged delta with each input's,"
        + " per layer", "layer", "input", rows, inputs, values.toArray(new double[0][]), -1, 1);
  }

  private static void grid(ReportData data, List<Figure> out) {
    Selection sel = data.selection();
    if (data.kind() != ReportData.Kind.GRID || sel == null || data.candidates().isEmpty()) {
      return;
    }
    Map<String, Double> metric = new LinkedHashMap<>();
    Map<String, Double> inputScores = new LinkedHashMap<>();
    for (Score s : data.scores()) {
      Double v = s.metrics().get(sel.metric());
      if (v == null) {
        continue;
      }
      if ("input".equals(s.role())) {
        inputScores.put(s.model(), v);
      } else {
        metric.put(s.model(), v);
      }
    }
    if (metric.isEmpty()) {
      return;
    }
    Map<String, Double> markers = new LinkedHashMap<>();
    inputScores.entrySet().stream().reduce((a, b) -> better(sel, b.getValue(), a.getValue())
        ? b : a).ifPresent(best -> markers.put("best input: "
            + InputLabels.of(List.of(best.getKey())).get(0), best.getValue()));
    LinkedHashSet<String> params = new LinkedHashSet<>();
    data.candidates().forEach(c -> params.addAll(c.values().keySet()));
    for (String p : params) {
      out.add(new Figure(metricAgainst(data.candidates(), p, sel.metric(), metric, markers),
          "The selected metric (" + sel.metric() + ", " + (sel.minimize() ? "lower" : "higher")
              + " is better) of every scored candidate against " + p + "; one line per"
              + " setting of the other parameters. The dashed line is the best input."));
    }
  }

  private static SeriesChart metricAgainst(List<Candidate> candidates, String param,
      String metricName, Map<String, Double> metric, Map<String, Double> markers) {
    List<String> xs = new ArrayList<>();
    for (Candidate c : candidates) {
      String v = c.values().get(param);
      if (v != null && !xs.contains(v)) {
        xs.add(v);
      }
    }
    Map<String, double[]> series = new LinkedHashMap<>();
    for (Candidate c : candidates) {
      String v = c.values().get(param);
      Double score = metric.get(c.id());
      if (v == null || score == null) {
        continue;
      }
      StringBuilder rest = new StringBuilder();
      c.values().forEach((k, val) -> {
        if (!k.equals(param)) {
          rest.append(rest.length() == 0 ? "" : ", ").append(k).append('=').append(val);
        }
      });
      String name = rest.length() == 0 ? metricName : rest.toString();
      series.computeIfAbsent(name, k -> nan(xs.size()))[xs.indexOf(v)] = score;
    }
    return new SeriesChart("metric-vs-" + param.replaceAll("[^A-Za-z0-9_-]", "-"),
        metricName + " against " + param, param, metricName, xs, series, markers);
  }

  private static void adapter(ReportData data, List<Figure> out) {
    if (data.adapter() == null || data.adapter().energyKept().isEmpty()) {
      return;
    }
    TreeMap<String, Boolean> groupSet = new TreeMap<>(LayerGroups.ORDER);
    Map<String, Map<String, Double>> byKind = new TreeMap<>();
    data.adapter().energyKept().forEach((module, energy) -> {
      String group = LayerGroups.of(module);
      groupSet.put(group, true);
      String kind = module.substring(module.lastIndexOf('.') + 1);
      byKind.computeIfAbsent(kind, k -> new LinkedHashMap<>()).put(group, energy);
    });
    List<String> groups = List.copyOf(groupSet.keySet());
    Map<String, double[]> series = new LinkedHashMap<>();
    byKind.forEach((kind, values) -> {
      double[] v = nan(groups.size());
      values.forEach((g, e) -> v[groups.indexOf(g)] = e);
      series.put(kind, v);
    });
    out.add(new Figure(new SeriesChart("energy-by-module", "Energy kept per module", "layer",
        "energy kept", groups, series, Map.of()),
        "Fraction of each module's merged update that the rank-" + data.adapter().rank()
            + " factors keep (energy_kept of combine-report.json): 1 is exact."));
  }

  private static Map<String, double[]> byLayer(LayerStats stats, List<String> groups,
      ToDoubleFunction<LayerStats.Group> f) {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (String m : stats.models()) {
      out.put(m, perGroup(stats, m, groups, f));
    }
    return out;
  }

  private static double[] perGroup(LayerStats stats, String model, List<String> groups,
      ToDoubleFunction<LayerStats.Group> f) {
    double[] v = nan(groups.size());
    for (int i = 0; i < groups.size(); i++) {
      LayerStats.Group g = stats.group(model, groups.get(i));
      if (g != null) {
        v[i] = f.applyAsDouble(g);
      }
    }
    return v;
  }

  /** One series named "all" when every series has the same values. */
  private static Map<String, double[]> mergeIdentical(Map<String, double[]> series) {
    double[] first = series.values().iterator().next();
    boolean same = series.values().stream().allMatch(v -> java.util.Arrays.equals(v, first));
    return same && series.size() > 1 ? Map.of("all models", first) : series;
  }

  private static boolean better(Selection sel, double a, double b) {
    return sel.minimize() ? a < b : a > b;
  }

  private static double[] nan(int n) {
    double[] v = new double[n];
    java.util.Arrays.fill(v, Double.NaN);
    return v;
  }
}
