package dev.sparkmerge.cli;

import dev.sparkmerge.engine.Leaderboard;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Prints a leaderboard: one row per evaluated model (candidates by rank, then inputs), the
 * selected metric first, then mean_loss and each task's loss and exact match ({@code .em}) or
 * accuracy ({@code .acc}); and a closing line naming the winner (or, for one merged model, its
 * mean loss against the best input's) and whether it beats every input.
 */
final class LeaderboardTable {
  private LeaderboardTable() {}

  static void print(Leaderboard board, PrintWriter out) {
    Set<String> columns = new LinkedHashSet<>();
    if (board.metric() != null) {
      columns.add(board.metric());
    }
    columns.add("mean_loss");
    for (Leaderboard.Entry e : board.entries()) {
      for (String m : e.metrics().keySet()) {
        if (m.endsWith(".loss") || m.endsWith(".exact_match") || m.endsWith(".accuracy")
            || m.startsWith("command.")) {
          columns.add(m);
        }
      }
    }
    List<String[]> rows = new ArrayList<>();
    List<String> header = new ArrayList<>(List.of("rank", "model", "role"));
    for (String c : columns) {
      // Narrow headers for the per-task columns; the selected metric keeps its full name.
      header.add(c.equals(board.metric()) ? c
          : c.replace(".exact_match", ".em").replace(".accuracy", ".acc"));
    }
    rows.add(header.toArray(new String[0]));
    Map<String, String> names = shortNames(board);
    for (Leaderboard.Entry e : board.entries()) {
      List<String> row = new ArrayList<>(List.of(e.rank() > 0 ? String.valueOf(e.rank()) : "-",
          names.get(e.name()), e.role()));
      for (String c : columns) {
        row.add(e.error() != null ? (c.equals(columns.iterator().next()) ? "FAILED" : "")
            : format(e.metrics(), c));
      }
      rows.add(row.toArray(new String[0]));
    }
    Tables.print(rows, out);
    for (Leaderboard.Entry e : board.entries()) {
      if (e.error() != null) {
        out.println("evaluation of " + e.name() + " failed: " + e.error());
      }
    }
    printVersusInputs(board, out);
    if (board.winner() != null) {
      String verdict = board.beatsEveryInput() == null ? ""
          : board.beatsEveryInput() ? "; it beats every input on " + board.metric()
          : "; it does NOT beat every input on " + board.metric();
      out.println("best: " + board.winner().name() + " (" + board.metric() + " = "
          + format(board.winner().metrics(), board.metric()) + ", " + board.goal() + ")"
          + verdict);
    }
  }

  /**
   * Model directories as their last path element ({@code base+adapter} part by part), so the
   * table fits a terminal; the full names stay in eval.json. Kept in full if two would collide.
   */
  private static Map<String, String> shortNames(Leaderboard board) {
    Map<String, String> out = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    boolean unique = true;
    for (Leaderboard.Entry e : board.entries()) {
      StringBuilder sb = new StringBuilder();
      for (String part : e.name().split("\\+", -1)) {
        String p = part.endsWith("/") ? part.substring(0, part.length() - 1) : part;
        sb.append(sb.length() == 0 ? "" : "+").append(p.substring(p.lastIndexOf('/') + 1));
      }
      unique &= seen.add(sb.toString());
      out.put(e.name(), sb.toString());
    }
    if (!unique) {
      out.replaceAll((full, shortName) -> full);
    }
    return out;
  }

  /** For one merged model (no ranking): its mean loss against the best input's. */
  private static void printVersusInputs(Leaderboard board, PrintWriter out) {
    Leaderboard.Entry merged = null;
    Leaderboard.Entry bestInput = null;
    int models = 0;
    for (Leaderboard.Entry e : board.entries()) {
      Double v = e.metrics().get("mean_loss");
      if (!e.role().equals("input")) {
        models++;
        merged = e;
      } else if (v != null && (bestInput == null
          || v < bestInput.metrics().get("mean_loss"))) {
        bestInput = e;
      }
    }
    if (board.winner() != null || models != 1 || bestInput == null
        || merged.metrics().get("mean_loss") == null) {
      return;
    }
    double m = merged.metrics().get("mean_loss");
    double b = bestInput.metrics().get("mean_loss");
    Map<String, String> names = shortNames(board);
    out.println(String.format(Locale.ROOT, "mean_loss: %s %.4f, best input %s %.4f: %s",
        names.get(merged.name()), m, names.get(bestInput.name()), b,
        m < b ? "the merge beats every input" : "the merge does NOT beat every input"));
  }

  private static String format(Map<String, Double> metrics, String name) {
    Double v = metrics.get(name);
    return v == null ? "" : String.format(Locale.ROOT, "%.4f", v);
  }
}
