package dev.sparkmerge.config;

import java.util.List;
import java.util.Map;

/**
 * {@code dtype} / {@code out_dtype} strings. mergekit accepts bfloat16, float16, float32 and int64
 * (optionally prefixed {@code torch.}) and fails on anything else only when the first tensor is
 * loaded; we accept the three float types, normalise them, and suggest the right spelling now.
 */
final class Dtypes {
  private Dtypes() {}

  static final List<String> VALID = List.of("bfloat16", "float16", "float32");

  /** Common spellings from other tools, mapped to what they mean. */
  private static final Map<String, String> ALIASES = Map.ofEntries(
      Map.entry("bf16", "bfloat16"),
      Map.entry("fp16", "float16"),
      Map.entry("f16", "float16"),
      Map.entry("half", "float16"),
      Map.entry("fp32", "float32"),
      Map.entry("f32", "float32"),
      Map.entry("float", "float32"));

  /** The normalised name, or null when {@code text} is not valid; see {@link #problem}. */
  static String normalise(String text) {
    String t = text.trim();
    if (t.startsWith("torch.")) {
      t = t.substring("torch.".length());
    }
    return VALID.contains(t) ? t : null;
  }

  /** Why {@code text} is not accepted, and what to write instead. */
  static String problem(String text) {
    String t = text.trim();
    String bare = t.startsWith("torch.") ? t.substring("torch.".length()) : t;
    String lower = bare.toLowerCase();
    if (lower.equals("int64")) {
      return "int64 is not a merge dtype; use one of " + String.join(", ", VALID) + ".";
    }
    if (lower.equals("float64") || lower.equals("double") || lower.equals("fp64")) {
      return "'" + t + "' is not supported: sparkmerge computes in float32 and writes one of "
          + String.join(", ", VALID) + "; use float32.";
    }
    String meant = ALIASES.getOrDefault(lower, VALID.contains(lower) ? lower : null);
    if (meant == null) {
      meant = Suggest.closest(lower, VALID);
    }
    return "unknown dtype '" + t + "'." + (meant == null ? "" : " Did you mean '" + meant + "'?")
        + " Valid values: " + String.join(", ", VALID) + " (optionally prefixed 'torch.').";
  }
}
