package dev.sparkmerge.bench.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tables of the many-adapters benchmark: one row per child JVM in the style of the other e2e
 * tables, the same as markdown for docs/BENCHMARKS.md, and per shape and task how time and
 * memory grow with the number of adapters against the expectation (time linear, memory
 * flat).
 */
final class AdapterReport {
  private static final String[] HEADS = {"shape", "task", "N", "input GB", "read s", "plan s",
      "spark s", "merge s", "s/adapter", "M a-el/s", "Hadoop GB", "× inputs", "RSS MB",
      "live MB", "est MB", "process s"};
  private static final int[] WIDTHS = {16, 4, 3, 8, 6, 6, 7, 8, 9, 8, 9, 8, 6, 7, 6, 9};

  private AdapterReport() {}

  static void print(List<AdapterBench.Run> runs) {
    System.out.println();
    table(runs);
    System.out.println();
    markdown(runs);
    System.out.println();
    growth(runs);
  }

  private static void table(List<AdapterBench.Run> runs) {
    StringBuilder sep = new StringBuilder("|");
    for (int c = 0; c < WIDTHS.length; c++) {
      sep.append(c < 2 ? "-".repeat(WIDTHS[c] + 2) : "-".repeat(WIDTHS[c] + 1) + ":")
          .append('|');
    }
    cells((Object[]) HEADS);
    System.out.println(sep);
    for (AdapterBench.Run r : runs) {
      long est = r.get("plan_task_mem");
      cells(r.shape, r.task, r.adapters, GridReport.gb(r.inputBytes), f2(r.readS),
          sec(r.get("plan_ms")), sec(r.get("spark_ms")), sec(r.get("merge_ms")),
          String.format(Locale.ROOT, "%.3f", r.mergeS() / r.adapters),
          String.format(Locale.ROOT, "%.0f", r.elementsPerS() / 1e6),
          GridReport.gb(r.get("merge_read_hadoop")),
          f2(r.get("merge_read_hadoop") / (double) r.inputBytes), r.get("vmhwm_kb") / 1024,
          r.get("heap_live_max") >> 20, est < 0 ? "–" : Long.toString(est >> 20),
          sec(r.get("process_ms")));
    }
    System.out.println();
    System.out.println("task ties = TIES of the N adapters' updates into a full bf16 model"
        + " (MergeJob); svd = their weighted sum as ONE rank-" + AdapterBench.SVD_RANK
        + " adapter (output: adapter, combination svd; modules in Spark tasks). N = adapters;"
        + " input GB = the files the task reads (ties: base + adapters; svd: adapters), read s ="
        + " one thread reading them sequentially just before (page cache); plan s = config +"
        + " plan (ties) or config load (svd); spark s = SparkContext start; merge s ="
        + " MergeJob.run or AdapterOutputJob.run; M a-el/s = adapter-elements per second ="
        + " targeted base elements (Σ out·in of the adapted q/k/v/o/gate/up/down weights)"
        + " × N / merge s; Hadoop GB = bytes read through Hadoop's file system during merge s;"
        + " × inputs = that / input GB; RSS = VmHWM of the child JVM; live = the largest heap"
        + " occupancy right after a GC; est = the plan's per-task memory estimate (ties only).");
  }

  private static void markdown(List<AdapterBench.Run> runs) {
    System.out.println("Markdown for docs/BENCHMARKS.md:");
    System.out.println();
    System.out.println("| shape | task | adapters | merge s | s per adapter | M adapter-el/s"
        + " | GB read | peak RSS MB | live heap MB | plan + Spark start s |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (AdapterBench.Run r : runs) {
      System.out.printf(Locale.ROOT, "| `%s` | %s | %d | %.2f | %.3f | %.0f | %s | %d | %d"
          + " | %.2f |%n", r.shape, r.task, r.adapters, r.mergeS(), r.mergeS() / r.adapters,
          r.elementsPerS() / 1e6, GridReport.gb(r.get("merge_read_hadoop")),
          r.get("vmhwm_kb") / 1024, r.get("heap_live_max") >> 20,
          (r.get("plan_ms") + r.get("spark_ms")) / 1e3);
    }
  }

  /**
   * Per shape and task, each N against the smallest: the time ratio next to N's ratio (linear
   * growth makes them equal) and the exponent e of time ∝ N^e it implies (1 = linear; the exact
   * svd route's QR and core SVD grow faster), the RSS and live-heap ratios (flat memory makes
   * them 1), and the marginal seconds per added adapter from the previous N, from which longer
   * runs can be predicted.
   */
  private static void growth(List<AdapterBench.Run> runs) {
    Map<String, List<AdapterBench.Run>> groups = new LinkedHashMap<>();
    for (AdapterBench.Run r : runs) {
      groups.computeIfAbsent(r.shape + " " + r.task, k -> new ArrayList<>()).add(r);
    }
    System.out.println("Growth with the number of adapters (against the smallest N; issue 5"
        + " expects time linear in N, memory flat):");
    for (List<AdapterBench.Run> g : groups.values()) {
      g.sort((a, b) -> Integer.compare(a.adapters, b.adapters));
      AdapterBench.Run first = g.get(0);
      System.out.printf(Locale.ROOT, "  %-16s %-4s N=%d: merge %.2f s, RSS %d MB, live %d MB%n",
          first.shape, first.task, first.adapters, first.mergeS(), first.get("vmhwm_kb") / 1024,
          first.get("heap_live_max") >> 20);
      AdapterBench.Run prev = first;
      for (AdapterBench.Run r : g.subList(1, g.size())) {
        double time = r.mergeS() / first.mergeS();
        double n = r.adapters / (double) first.adapters;
        System.out.printf(Locale.ROOT, "  %-16s %-4s N=%d: time ×%.2f (N ×%.2f: time ∝ N^%.2f),"
            + " RSS ×%.2f, live heap ×%.2f; %.3f s per adapter added since N=%d%n", r.shape,
            r.task, r.adapters, time, n, n > 1 ? Math.log(time) / Math.log(n) : Double.NaN,
            r.get("vmhwm_kb") / (double) first.get("vmhwm_kb"),
            r.get("heap_live_max") / (double) Math.max(1, first.get("heap_live_max")),
            (r.mergeS() - prev.mergeS()) / Math.max(1, r.adapters - prev.adapters),
            prev.adapters);
        prev = r;
      }
    }
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

  private static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String sec(long ms) {
    return ms < 0 ? "–" : String.format(Locale.ROOT, "%.2f", ms / 1e3);
  }
}
