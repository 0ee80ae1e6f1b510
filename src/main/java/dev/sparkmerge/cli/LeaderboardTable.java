package dev.sparkmerge.cli;

import dev.sparkmerge.engine.Leaderboard;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Prints a leaderboard: one row per evaluated model (candidates by rank, then inputs), the
 * selected metric first, then mean_loss and each task's loss and exact match or accuracy; and a
 * closing line naming the winner and whether it beats every input.
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
    header.addAll(columns);
    rows.add(header.toArray(new String[0]));
    for (Leaderboard.Entry e : board.entries()) {
      List<String> row = new ArrayList<>(List.of(e.rank() > 0 ? String.valueOf(e.rank()) : "-",
          e.name(), e.role()));
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
    if (board.winner() != null) {
      String verdict = board.beatsEveryInput() == null ? ""
          : board.beatsEveryInput() ? "; it beats every input on " + board.metric()
          : "; it does NOT beat every input on " + board.metric();
      out.println("best: " + board.winner().name() + " (" + board.metric() + " = "
          + format(board.winner().metrics(), board.metric()) + ", " + board.goal() + ")"
          + verdict);
    }
  }

  private static String format(Map<String, Double> metrics, String name) {
    Double v = metrics.get(name);
    return v == null ? "" : String.format(Locale.ROOT, "%.4f", v);
  }
}
