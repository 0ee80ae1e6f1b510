package dev.sparkmerge.cli;

import java.io.PrintWriter;
import java.util.List;

/** Plain-text tables: columns padded to their widest cell, text left, numbers right. */
final class Tables {
  private Tables() {}

  static void print(List<String[]> rows, PrintWriter out) {
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int c = 0; c < cols; c++) {
        width[c] = Math.max(width[c], r[c].length());
      }
    }
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int c = 0; c < cols; c++) {
        boolean number = r != rows.get(0) && r[c].matches("-?[0-9][0-9.]*");
        String cell = number ? " ".repeat(width[c] - r[c].length()) + r[c]
            : r[c] + " ".repeat(width[c] - r[c].length());
        sb.append(c == 0 ? "" : "  ").append(cell);
      }
      out.println(sb.toString().stripTrailing());
    }
    out.flush();
  }
}
