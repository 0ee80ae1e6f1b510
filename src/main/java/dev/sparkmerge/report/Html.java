package dev.sparkmerge.report;

/**
 * Escaping for the report's markup. The report is well-formed XML as well as HTML (inline SVG
 * included), so a strict XML parser reads it: only the five XML entities are ever written.
 */
final class Html {
  private Html() {}

  /** Text or an attribute value, escaped for both element content and quoted attributes. */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          // Control characters are not allowed in XML 1.0 text; none belong in a report.
          if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** A number as data attributes carry it: Java's shortest round-trip form (NaN as "NaN"). */
  static String num(double v) {
    return Double.toString(v);
  }

  /** A number for reading: 4 significant digits, or "–" for NaN. */
  static String fmt(double v) {
    if (Double.isNaN(v)) {
      return "\u2013";
    }
    if (v != 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) {
      return String.format(java.util.Locale.ROOT, "%.3e", v);
    }
    return String.format(java.util.Locale.ROOT, "%.4g", v);
  }

  /** A byte count for reading (KiB, MiB, ... with one decimal). */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + " B" : String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
