package dev.sparkmerge.checkpoint;

/** Byte counts for people: {@code 1536} → {@code 1.5 KiB}. */
public final class ByteSizes {
  private ByteSizes() {}

  /** Binary units (KiB, MiB, ...) with one decimal; plain bytes below 1 KiB. */
  public static String human(long b) {
    if (b < 1024) {
      return b + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = b;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format("%.1f %s", v, units[u]);
  }
}
