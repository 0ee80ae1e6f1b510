package dev.sparkmerge.checkpoint;

import java.io.Serializable;
import java.util.Comparator;

/**
 * Orders names with embedded numbers numerically ({@code h.2.attn} before {@code h.10.attn}), so
 * layer-indexed tensor and module names list in layer order.
 */
public final class NaturalOrder implements Comparator<String>, Serializable {
  private static final long serialVersionUID = 1L;
  public static final NaturalOrder INSTANCE = new NaturalOrder();

  private NaturalOrder() {}

  @Override
  public int compare(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      char ca = a.charAt(i);
      char cb = b.charAt(j);
      if (isDigit(ca) && isDigit(cb)) {
        int ei = i;
        int ej = j;
        while (ei < a.length() && isDigit(a.charAt(ei))) {
          ei++;
        }
        while (ej < b.length() && isDigit(b.charAt(ej))) {
          ej++;
        }
        int c = compareDigits(a.substring(i, ei), b.substring(j, ej));
        if (c != 0) {
          return c;
        }
        i = ei;
        j = ej;
      } else {
        if (ca != cb) {
          return Character.compare(ca, cb);
        }
        i++;
        j++;
      }
    }
    int c = Integer.compare(a.length() - i, b.length() - j);
    return c != 0 ? c : a.compareTo(b);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int compareDigits(String x, String y) {
    String sx = x.replaceFirst("^0+(?=.)", "");
    String sy = y.replaceFirst("^0+(?=.)", "");
    int c = Integer.compare(sx.length(), sy.length());
    return c != 0 ? c : sx.compareTo(sy);
  }
}
