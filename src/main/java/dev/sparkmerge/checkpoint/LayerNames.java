package dev.sparkmerge.checkpoint;

import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds transformer layer indices in tensor names ({@code model.layers.12.}, {@code h.3.}, ...). */
public final class LayerNames {
  private static final Pattern LAYER =
      Pattern.compile("(?:^|\\.)(?:layers|layer|h|blocks|block)\\.(\\d+)\\.");

  private LayerNames() {}

  /** The layer index in a tensor name, or -1 if the tensor is outside the layer stack. */
  public static int layerIndex(String tensorName) {
    Matcher m = LAYER.matcher(tensorName);
    return m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** One more than the highest layer index among the names (0 when there are none). */
  public static int inferLayerCount(Collection<String> tensorNames) {
    int max = -1;
    for (String n : tensorNames) {
      max = Math.max(max, layerIndex(n));
    }
    return max + 1;
  }
}
