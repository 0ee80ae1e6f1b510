package dev.sparkmerge.report;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Short labels for input models on chart axes: the adapter of a {@code BASE+ADAPTER} input, else
 * the model, by its last path segment ({@code jobs/models/base+jobs/lora-add} → {@code lora-add}).
 * Falls back to the names as written when the short forms would collide.
 */
final class InputLabels {
  private InputLabels() {}

  static List<String> of(List<String> names) {
    List<String> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      String s = n.substring(n.lastIndexOf('+') + 1);
      while (s.endsWith("/")) {
        s = s.substring(0, s.length() - 1);
      }
      s = s.substring(s.lastIndexOf('/') + 1);
      if (s.isEmpty() || !seen.add(s)) {
        return List.copyOf(names);
      }
      out.add(s);
    }
    return out;
  }
}
