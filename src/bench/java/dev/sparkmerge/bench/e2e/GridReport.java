package dev.sparkmerge.bench.e2e;

import java.util.List;
import java.util.Locale;

/**
 * The tables of the grid benchmark: one row per child JVM (in the style of the per-method e2e
 * table), then per shape grid against the sum of the separate runs, as markdown for
 * docs/BENCHMARKS.md, and the targets.
 */
final class GridReport {
  /** Per-child table: headings and widths; the first two columns are left-aligned. */
  private static final String[] HEADS = {"shape", "run", "plan s", "spark s", "merge s",
      "stats s", "write s", "table s", "stop s", "rchar GB", "Hadoop GB", "disk GB", "× inputs",
      "RSS MB", "process s"};
  private static final int[] WIDTHS = {16, 24, 6, 7, 7, 7, 7, 7, 6, 8, 9, 7, 8, 6, 9};

  private GridReport() {}

  static void print(List<GridBench.ShapeResult> results) {
    System.out.println();
    perChild(results);
    System.out.println();
    summary(results);
    System.out.println();
    targets(results);
  }

  private static void perChild(List<GridBench.ShapeResult> results) {
    StringBuilder sep = new StringBuilder("|");
    for (int c = 0; c < WIDTHS.length; c++) {
      sep.append(c < 2 ? "-".repeat(WIDTHS[c] + 2) : "-".repeat(WIDTHS[c] + 1) + ":")
          .append('|');
    }
    cells((Object[]) HEADS);
    System.out.println(sep);
    for (GridBench.ShapeResult s : results) {
      row(s, s.grid.label, s.grid.child::get, s.grid.get("vmhwm_kb"));
      long rss = 0;
      for (GridBench.Run r : s.separate) {
        row(s, "  " + r.label, r.child::get, r.get("vmhwm_kb"));
        rss = Math.max(rss, r.get("vmhwm_kb"));
      }
      row(s, "separate, sum of " + s.separate.size(), k -> sum(s.separate, k), rss);
    }
    System.out.println();
    System.out.println("merge s = GridJob.run (grid: the shared statistics and write jobs of all"
        + " candidates, their Parquet statistics table — its Spark SQL jobs are table s — and"
        + " candidates.json) or MergeJob.run (separate); plan s (config + headers), spark s"
        + " (SparkContext start) and stop s are outside it. stats s / write s = wall time of"
        + " those Spark jobs. rchar GB = rchar of /proc/self/io over merge s (every read system"
        + " call of the JVM: page-cache hits and class loading included); Hadoop GB = bytesRead"
        + " of Hadoop's file-scheme statistics over merge s (the engine's reads only); disk GB ="
        + " read_bytes (page-cache misses); × inputs = Hadoop GB / the size of the input files;"
        + " RSS = VmHWM; process s = fork to exit of the child JVM. The sum row adds up the"
        + " separate runs, except RSS (the largest).");
  }

  private static void cells(Object... values) {
    StringBuilder line = new StringBuilder("|");
    for (int c = 0; c < values.length; c++) {
      String v = String.valueOf(values[c]);
      String pad = " ".repeat(Math.max(0, WIDTHS[c] - v.length()));
      line.append(' ').append(c < 2 ? v + pad : pad + v).append(" |");
    }
    System.out.println(line);
  }

  private interface Value {
    Long of(String key);
  }

  private static void row(GridBench.ShapeResult s, String label, Value v, long rssKb) {
    cells(s.shape, label, sec(v.of("plan_ms")), sec(v.of("spark_ms")), sec(v.of("merge_ms")),
        sec(v.of("stats_ms")), sec(v.of("write_ms")), sec(v.of("sql_ms")), sec(v.of("stop_ms")),
        gb(val(v.of("merge_read_rchar"))), gb(val(v.of("merge_read_hadoop"))),
        gb(val(v.of("merge_read_disk"))),
        String.format(Locale.ROOT, "%.2f", val(v.of("merge_read_hadoop")) / (double) s.inputBytes),
        rssKb / 1024, sec(v.of("process_ms")));
  }

  private static void summary(List<GridBench.ShapeResult> results) {
    System.out.println("Markdown for docs/BENCHMARKS.md (grid = one GridJob of 6 candidates;"
        + " separate = the sum of 6 single merges; GB read during the merge):");
    System.out.println();
    System.out.println("| shape | input GB | merge s grid | merge s separate | time grid/sep"
        + " | rchar GB grid | rchar GB separate | rchar grid/sep | Hadoop GB grid"
        + " | Hadoop GB separate | Hadoop grid/sep | plan+spark s grid | plan+spark s separate"
        + " | process s grid | process s separate | identical |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
        + "|---:|---|");
    for (GridBench.ShapeResult s : results) {
      GridBench.Run g = s.grid;
      long sepMerge = sum(s.separate, "merge_ms");
      long sepRchar = sum(s.separate, "merge_read_rchar");
      long sepHadoop = sum(s.separate, "merge_read_hadoop");
      System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s"
          + " | %s | %s | %s | %s | %d/%d%s |%n", s.shape, gb(s.inputBytes),
          sec(g.get("merge_ms")), sec(sepMerge), ratio(g.get("merge_ms"), sepMerge),
          gb(g.get("merge_read_rchar")), gb(sepRchar), ratio(g.get("merge_read_rchar"), sepRchar),
          gb(g.get("merge_read_hadoop")), gb(sepHadoop),
          ratio(g.get("merge_read_hadoop"), sepHadoop),
          sec(g.get("plan_ms") + g.get("spark_ms")),
          sec(sum(s.separate, "plan_ms") + sum(s.separate, "spark_ms")),
          sec(g.get("process_ms")), sec(sum(s.separate, "process_ms")), s.identical,
          s.separate.size(), s.mismatches.isEmpty() ? "" : " **MISMATCH**");
    }
  }

  private static void targets(List<GridBench.ShapeResult> results) {
    System.out.println("Targets (issue 6): the grid reads the inputs once (bytes ≈ one separate"
        + " run's; judged within 10%) and takes well under half the separate runs' time:");
    for (GridBench.ShapeResult s : results) {
      double oneRun = sum(s.separate, "merge_read_hadoop") / (double) s.separate.size();
      double bytes = s.grid.get("merge_read_hadoop") / oneRun;
      double time = s.grid.get("merge_ms") / (double) sum(s.separate, "merge_ms");
      System.out.printf(Locale.ROOT, "  %-16s bytes read (Hadoop) grid / one separate run"
          + " %.2f× (target ≈ 1×): %s; merge time grid / separate %.2f (target < 0.5): %s%n",
          s.shape, bytes, bytes <= 1.1 ? "MET" : "NOT MET", time,
          time < 0.5 ? "MET" : "NOT MET");
    }
    int bad = 0;
    for (GridBench.ShapeResult s : results) {
      for (String m : s.mismatches) {
        System.out.println(m);
        bad++;
      }
    }
    System.out.println(bad == 0 ? "Every grid candidate is byte-identical to its separate run."
        : bad + " candidate(s) NOT byte-identical to their separate run (MISMATCH above).");
  }

  private static long sum(List<GridBench.Run> runs, String key) {
    long t = 0;
    for (GridBench.Run r : runs) {
      long v = r.get(key);
      if (v < 0) {
        return -1;
      }
      t += v;
    }
    return t;
  }

  private static long val(Long v) {
    return v == null ? -1 : v;
  }

  private static String sec(Long ms) {
    return ms == null || ms < 0 ? "–" : String.format(Locale.ROOT, "%.2f", ms / 1e3);
  }

  static String gb(long bytes) {
    if (bytes < 0) {
      return "–";
    }
    // Tiny shapes read megabytes: three decimals keep them readable.
    return String.format(Locale.ROOT, bytes < 1_000_000_000 ? "%.3f" : "%.2f", bytes / 1e9);
  }

  private static String ratio(long a, long b) {
    return a < 0 || b <= 0 ? "–" : String.format(Locale.ROOT, "%.2f", a / (double) b);
  }
}
