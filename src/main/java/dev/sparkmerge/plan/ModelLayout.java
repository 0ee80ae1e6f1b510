package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.ModelConfig;
import dev.sparkmerge.checkpoint.NaturalOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's tensor names split the way mergekit infers an unknown architecture
 * (reference/mergekit.md §2.2): the first {@code .<digits>.} component of a name is its layer
 * index and the name with that number replaced is a layer template; names without a number are
 * outside the layer stack. Those are split into pre-weights (embeddings and the like) and
 * post-weights (final norm, output head) by name, since both take t = 0 and only differ in which
 * slice supplies them.
 */
public final class ModelLayout {
  static final String LAYER_INDEX = "${layer_index}";
  private static final Pattern LAYER = Pattern.compile("\\.(\\d+)\\.");
  private static final Pattern POST = Pattern.compile(
      "(^|\\.)(lm_head|embed_out|score|classifier|pooler|qa_outputs)(\\.|$)"
          + "|(^|\\.)(norm|ln_f|final_layernorm|final_layer_norm|final_norm)\\.[^.]+$");
  private static final Pattern EMBED = Pattern.compile(
      "(^|\\.)(embed_tokens|wte|word_embeddings|embed_in|embed_out|lm_head)\\.weight$");

  private final String prefix;
  private final int layerCount;
  private final List<String> layerTemplates;
  private final List<String> preWeights;
  private final List<String> postWeights;
  private final Map<String, Set<Integer>> templateLayers;

  private ModelLayout(String prefix, int layerCount, List<String> layerTemplates,
      List<String> preWeights, List<String> postWeights, Map<String, Set<Integer>> templateLayers) {
    this.prefix = prefix;
    this.layerCount = layerCount;
    this.layerTemplates = layerTemplates;
    this.preWeights = preWeights;
    this.postWeights = postWeights;
    this.templateLayers = templateLayers;
  }

  /** Infers the layout of a model from its tensor names (and config.json's layer count if any). */
  static ModelLayout of(String modelLabel, Collection<String> tensorNames, ModelConfig config) {
    List<String> names = new ArrayList<>(tensorNames);
    names.sort(NaturalOrder.INSTANCE);
    Map<String, Set<Integer>> templates = new LinkedHashMap<>();
    List<String> pre = new ArrayList<>();
    List<String> post = new ArrayList<>();
    String prefix = null;
    int maxLayer = -1;
    for (String name : names) {
      Matcher m = LAYER.matcher(name);
      if (!m.find()) {
        (POST.matcher(name).find() ? post : pre).add(name);
        continue;
      }
      String p = name.substring(0, m.start());
      if (prefix == null) {
        prefix = p;
      } else if (!prefix.equals(p)) {
        throw new PlanException(modelLabel + ": tensors have layer stacks under two prefixes ('"
            + prefix + "' and '" + p + "'); multi-module architectures (encoder-decoder, vision"
            + " towers) are not supported yet.");
      }
      int layer = Integer.parseInt(m.group(1));
      maxLayer = Math.max(maxLayer, layer);
      String template = name.substring(0, m.start()) + "." + LAYER_INDEX + "."
          + name.substring(m.end());
      templates.computeIfAbsent(template, t -> new LinkedHashSet<>()).add(layer);
    }
    int count = maxLayer + 1;
    if (config != null && config.layerCount() >= 0) {
      int configured = config.layerCount();
      if (configured != count && count > 0) {
        throw new PlanException(modelLabel + ": config.json says " + configured + " layers ("
            + config.layerCountKey() + ") but the tensors have layers 0.." + maxLayer + ".");
      }
      count = configured;
    }
    return new ModelLayout(prefix, count, List.copyOf(templates.keySet()),
        Collections.unmodifiableList(pre), Collections.unmodifiableList(post), templates);
  }

  /** The name of a template's tensor at a layer. */
  static String name(String template, int layer) {
    return template.replace(LAYER_INDEX, Integer.toString(layer));
  }

  /** Whether an output tensor is an embedding or output head (cropped on shape mismatch). */
  static boolean isEmbed(String name) {
    return EMBED.matcher(name).find();
  }

  /** Number of transformer layers. */
  public int layerCount() {
    return layerCount;
  }

  /** Layer templates in natural order of first appearance. */
  public List<String> layerTemplates() {
    return layerTemplates;
  }

  /** Whether a template's tensor exists in every layer (else it is optional, as in mergekit). */
  boolean inEveryLayer(String template) {
    Set<Integer> layers = templateLayers.get(template);
    return layers != null && layers.size() == layerCount;
  }

  public List<String> preWeights() {
    return preWeights;
  }

  public List<String> postWeights() {
    return postWeights;
  }

  /** The text before the layer number ("model.layers", "h", ...), or null without layers. */
  public String prefix() {
    return prefix;
  }
}
