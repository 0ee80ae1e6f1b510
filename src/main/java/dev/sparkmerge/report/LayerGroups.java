package dev.sparkmerge.report;

import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The x axis of the per-layer charts: a tensor's group is its transformer layer's number
 * ({@code model.layers.<i>.}, GPT-2's {@code h.<i>.}, PEFT's {@code ...layers.<i>...}), else
 * {@code embed}, {@code norm} (the final norm), {@code head} or {@code other}. Groups sort as a
 * model runs: embed, layers by number, norm, head, other.
 */
public final class LayerGroups {
  private static final Pattern LAYER = Pattern.compile("(?:^|\\.)(?:layers|h|blocks)\\.(\\d+)\\.");

  /** Orders group labels as {@link #of} returns them. */
  public static final Comparator<String> ORDER =
      Comparator.comparingInt(LayerGroups::rank).thenComparingInt(LayerGroups::layerOrZero)
          .thenComparing(Comparator.naturalOrder());

  private LayerGroups() {}

  /** The group of a tensor or module name: the layer number as text, or embed/norm/head/other. */
  public static String of(String tensor) {
    Matcher m = LAYER.matcher(tensor);
    if (m.find()) {
      return m.group(1);
    }
    if (tensor.contains("embed") || tensor.contains("wte") || tensor.contains("wpe")) {
      return "embed";
    }
    if (tensor.contains("lm_head") || tensor.contains("score.")) {
      return "head";
    }
    if (tensor.contains("norm") || tensor.contains("ln_f")) {
      return "norm";
    }
    return "other";
  }

  private static int rank(String group) {
    switch (group) {
      case "embed":
        return 0;
      case "norm":
        return 2;
      case "head":
        return 3;
      case "other":
        return 4;
      default:
        return 1;
    }
  }

  private static int layerOrZero(String group) {
    return rank(group) == 1 ? Integer.parseInt(group) : 0;
  }
}
