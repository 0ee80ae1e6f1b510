package dev.sparkmerge.report;

import dev.sparkmerge.report.ReportData.Candidate;
import dev.sparkmerge.report.ReportData.Score;
import dev.sparkmerge.report.ReportData.Selection;
import dev.sparkmerge.report.ReportData.Shard;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code report.html}: one self-contained page (inline CSS and SVG, no script, no link to
 * anything) that opens from a file or an HDFS download. Charts first where they answer "which
 * merge is better and why" (the leaderboard, then {@link ReportCharts}), tables after for what
 * reads better as numbers (candidates, inputs, shards with hashes, the config). The output is a
 * function of {@link ReportData} alone: no time or host in it, so reruns write the same bytes.
 */
public final class ReportWriter {
  private static final String STYLE = String.join("\n",
      "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;",
      "max-width:1100px;padding:0 1em;color:#222;line-height:1.4}",
      "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}",
      "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}",
      "th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}",
      "td.num{text-align:right;font-variant-numeric:tabular-nums}",
      "th{background:#f5f5f5}tr.best td{background:#e8f5e9;font-weight:600}",
      "tr.input td{color:#555}.scroll{overflow-x:auto}",
      "code,pre,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}",
      "pre{background:#f7f7f7;padding:1em;overflow-x:auto}",
      "figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}",
      "figcaption{font-size:.9em;color:#555;max-width:760px}",
      ".notes li{color:#8a5a00}");

  private ReportWriter() {}

  /** The page for {@code data}. */
  public static String html(ReportData data) {
    StringBuilder b = new StringBuilder(64 * 1024);
    String title = "sparkmerge report: " + data.name();
    b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
        .append("<title>").append(Html.esc(title)).append("</title>\n<style>\n").append(STYLE)
        .append("\n</style>\n</head>\n<body>\n<h1>").append(Html.esc(title)).append("</h1>\n");
    summary(data, b);
    leaderboard(data, b);
    charts(data, b);
    candidates(data, b);
    inputs(data, b);
    adapterModules(data, b);
    shards(data, b);
    if (data.configText() != null) {
      b.append("<section id=\"config\">\n<h2>Config (mergekit_config.yml)</h2>\n<pre>")
          .append(Html.esc(data.configText())).append("</pre>\n</section>\n");
    }
    b.append("</body>\n</html>\n");
    return b.toString();
  }

  private static void summary(ReportData data, StringBuilder b) {
    b.append("<section id=\"summary\">\n<table class=\"facts\">\n");
    row(b, "output", kind(data.kind()));
    data.facts().forEach((k, v) -> row(b, k, v));
    Selection sel = data.selection();
    if (sel != null && sel.best() != null) {
      row(b, "winner", sel.best() + " (" + sel.metric() + " = " + Html.fmt(sel.bestValue())
          + (sel.beatsEveryInput() == null ? "" : sel.beatsEveryInput()
              ? ", beats every input" : ", does not beat every input") + ")");
    }
    b.append("</table>\n");
    if (!data.notes().isEmpty()) {
      b.append("<ul class=\"notes\">\n");
      data.notes().forEach(n -> b.append("<li>").append(Html.esc(n)).append("</li>\n"));
      b.append("</ul>\n");
    }
    b.append("</section>\n");
  }

  private static void leaderboard(ReportData data, StringBuilder b) {
    if (data.scores().isEmpty()) {
      return;
    }
    Selection sel = data.selection();
    String metric = sel == null ? "mean_loss" : sel.metric();
    LinkedHashSet<String> columns = new LinkedHashSet<>();
    columns.add(metric);
    for (Score s : data.scores()) {
      for (String k : s.metrics().keySet()) {
        if (!k.matches(".*\\.(perplexity|tokens|examples|truncated)")) {
          columns.add(k);
        }
      }
    }
    List<Score> rows = new ArrayList<>(data.scores());
    boolean min = sel == null || sel.minimize();
    rows.sort(Comparator.comparing((Score s) -> "input".equals(s.role()))
        .thenComparing(s -> s.rank() == null ? Integer.MAX_VALUE : s.rank())
        .thenComparingDouble(s -> {
          Double v = s.metrics().get(metric);
          return v == null ? Double.POSITIVE_INFINITY : min ? v : -v;
        }));
    b.append("<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n<p>Ranked by ")
        .append(Html.esc(metric)).append(" (").append(min ? "lower" : "higher")
        .append(" is better); the inputs (parents) are scored the same way and listed below the")
        .append(" merges.</p>\n<div class=\"scroll\"><table>\n<tr><th>rank</th><th>model</th>")
        .append("<th>role</th>");
    columns.forEach(c -> b.append("<th>").append(Html.esc(c)).append("</th>"));
    b.append("</tr>\n");
    for (Score s : rows) {
      boolean best = sel != null && s.model().equals(sel.best());
      b.append("<tr class=\"").append(best ? "best" : Html.esc(s.role()))
          .append("\" data-model=\"").append(Html.esc(s.model())).append("\" data-role=\"")
          .append(Html.esc(s.role())).append("\"><td class=\"num\">")
          .append(s.rank() == null ? "" : s.rank()).append("</td><td>")
          .append(Html.esc(s.model())).append("</td><td>").append(Html.esc(s.role()))
          .append("</td>");
      if (s.error() != null) {
        b.append("<td colspan=\"").append(columns.size()).append("\">failed: ")
            .append(Html.esc(s.error())).append("</td>");
      } else {
        for (String c : columns) {
          Double v = s.metrics().get(c);
          b.append("<td class=\"num\"");
          if (v != null) {
            b.append(" data-metric=\"").append(Html.esc(c)).append("\" data-value=\"")
                .append(Html.num(v)).append("\">").append(Html.fmt(v));
          } else {
            b.append(">");
          }
          b.append("</td>");
        }
      }
      b.append("</tr>\n");
    }
    b.append("</table></div>\n</section>\n");
  }

  private static void charts(ReportData data, StringBuilder b) {
    List<Figure> figures = ReportCharts.of(data);
    if (figures.isEmpty()) {
      return;
    }
    b.append("<section id=\"charts\">\n<h2>Charts</h2>\n<p>Hover a point or cell for its"
        + " value.</p>\n");
    for (Figure f : figures) {
      b.append("<figure class=\"chart\" id=\"chart-").append(Html.esc(f.chart().id()))
          .append("\" data-chart=\"").append(Html.esc(f.chart().id())).append("\">\n");
      try {
        b.append(f.chart() instanceof SeriesChart s ? SvgCharts.render(s)
            : SvgCharts.render((HeatMapChart) f.chart()));
      } catch (RuntimeException | Error e) {
        // A JVM without fonts cannot lay out text (AWT throws Errors, not only exceptions); the
        // tables still carry the numbers. Only a broken VM is worth failing the run for.
        if (e instanceof VirtualMachineError) {
          throw e;
        }
        b.append("<p class=\"chart-error\">").append(Html.esc(f.chart().title()))
            .append(": chart not drawn (").append(Html.esc(String.valueOf(e)))
            .append(")</p>");
      }
      b.append("\n<figcaption>").append(Html.esc(f.caption())).append("</figcaption>\n")
          .append("</figure>\n");
    }
    b.append("</section>\n");
  }

  private static void candidates(ReportData data, StringBuilder b) {
    if (data.candidates().isEmpty()) {
      return;
    }
    LinkedHashSet<String> params = new LinkedHashSet<>();
    data.candidates().forEach(c -> params.addAll(c.values().keySet()));
    b.append("<section id=\"candidates\">\n<h2>Candidates (candidates.json)</h2>\n")
        .append("<div class=\"scroll\"><table>\n<tr><th>id</th>");
    params.forEach(p -> b.append("<th>").append(Html.esc(p)).append("</th>"));
    b.append("<th>status</th><th>rank</th><th>method</th><th>config hash</th></tr>\n");
    for (Candidate c : data.candidates()) {
      b.append("<tr data-candidate=\"").append(Html.esc(c.id())).append("\"><td>")
          .append(Html.esc(c.id())).append("</td>");
      params.forEach(p -> b.append("<td>").append(Html.esc(c.values().getOrDefault(p, "")))
          .append("</td>"));
      b.append("<td>").append(Html.esc(c.status()))
          .append(c.error() == null ? "" : ": " + Html.esc(c.error())).append("</td><td>")
          .append(c.rank() == null ? "" : c.rank()).append("</td><td>")
          .append(Html.esc(c.mergeMethod())).append("</td><td class=\"hash\">")
          .append(Html.esc(c.configHash())).append("</td></tr>\n");
    }
    b.append("</table></div>\n</section>\n");
  }

  private static void inputs(ReportData data, StringBuilder b) {
    if (data.inputs().isEmpty() && data.inputNames().isEmpty()) {
      return;
    }
    b.append("<section id=\"inputs\">\n<h2>Inputs</h2>\n");
    if (!data.inputNames().isEmpty()) {
      List<String> labels = InputLabels.of(data.inputNames());
      b.append("<p>Merged inputs in config order (the columns of the cosine heat map):</p>\n")
          .append("<table>\n<tr><th>#</th><th>label</th><th>model as configured</th></tr>\n");
      for (int i = 0; i < data.inputNames().size(); i++) {
        b.append("<tr><td class=\"num\">").append(i + 1).append("</td><td>")
            .append(Html.esc(labels.get(i))).append("</td><td><code>")
            .append(Html.esc(data.inputNames().get(i))).append("</code></td></tr>\n");
      }
      b.append("</table>\n");
    }
    if (!data.inputs().isEmpty()) {
      b.append("<p>Model files read (merge-manifest.json):</p>\n<table>\n<tr><th>path</th>")
          .append("<th>size</th></tr>\n");
      for (ReportData.InputModel m : data.inputs()) {
        b.append("<tr><td><code>").append(Html.esc(m.path())).append("</code></td>")
            .append("<td class=\"num\" data-bytes=\"").append(m.bytes()).append("\">")
            .append(Html.bytes(m.bytes())).append("</td></tr>\n");
      }
      b.append("</table>\n");
    }
    b.append("</section>\n");
  }

  private static void adapterModules(ReportData data, StringBuilder b) {
    if (data.adapter() == null) {
      return;
    }
    ReportData.AdapterSummary a = data.adapter();
    b.append("<section id=\"adapter\">\n<h2>Combined adapter (combine-report.json)</h2>\n")
        .append("<p>combination ").append(Html.esc(a.combination())).append(", rank ")
        .append(a.rank()).append(a.solver() == null ? "" : ", solver " + Html.esc(a.solver()))
        .append(a.randomizedModules().isEmpty() ? "" : ", " + a.randomizedModules().size()
            + " module(s) by the randomised SVD").append(".</p>\n<details><summary>")
        .append(a.energyKept().size()).append(" modules</summary>\n<table>\n<tr><th>module")
        .append("</th><th>energy kept</th></tr>\n");
    for (Map.Entry<String, Double> e : a.energyKept().entrySet()) {
      b.append("<tr><td><code>").append(Html.esc(e.getKey())).append("</code></td>")
          .append("<td class=\"num\" data-value=\"").append(Html.num(e.getValue())).append("\">")
          .append(Html.fmt(e.getValue())).append("</td></tr>\n");
    }
    b.append("</table>\n</details>\n</section>\n");
  }

  private static void shards(ReportData data, StringBuilder b) {
    if (data.shards().isEmpty()) {
      return;
    }
    boolean grid = data.shards().stream().anyMatch(s -> !s.owner().isEmpty());
    long total = data.shards().stream().mapToLong(Shard::length).sum();
    // open="open": the attribute in its XML form, so strict parsers read the page too.
    b.append("<section id=\"shards\">\n<h2>Files</h2>\n<details")
        .append(grid ? "" : " open=\"open\"").append("><summary>")
        .append(data.shards().size()).append(" shard(s), ")
        .append(Html.bytes(total)).append(", with SHA-256</summary>\n<div class=\"scroll\">")
        .append("<table>\n<tr>").append(grid ? "<th>candidate</th>" : "")
        .append("<th>file</th><th>bytes</th><th>SHA-256</th></tr>\n");
    for (Shard s : data.shards()) {
      b.append("<tr>").append(grid ? "<td>" + Html.esc(s.owner()) + "</td>" : "")
          .append("<td><code>").append(Html.esc(s.file())).append("</code></td>")
          .append("<td class=\"num\">").append(s.length()).append("</td><td class=\"hash\">")
          .append(Html.esc(s.sha256())).append("</td></tr>\n");
    }
    b.append("</table></div>\n</details>\n</section>\n");
  }

  private static void row(StringBuilder b, String key, String value) {
    b.append("<tr><th>").append(Html.esc(key)).append("</th><td>").append(Html.esc(value))
        .append("</td></tr>\n");
  }

  private static String kind(ReportData.Kind kind) {
    return switch (kind) {
      case MODEL -> "merged model";
      case GRID -> "grid search";
      case ADAPTER -> "combined LoRA adapter";
    };
  }
}
