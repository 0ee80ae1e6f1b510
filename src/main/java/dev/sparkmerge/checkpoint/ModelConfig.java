package dev.sparkmerge.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;

/**
 * A model's {@code config.json}, kept as a JSON tree (so it can be copied with small edits) with
 * typed accessors for what merging needs: architecture, layer count and embedding tying.
 */
public final class ModelConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Keys that hold the transformer layer count, by model family. */
  static final String[] LAYER_COUNT_KEYS = {
      "num_hidden_layers", "n_layer", "num_layers", "n_layers", "num_decoder_layers"};

  private final ObjectNode tree;

  ModelConfig(ObjectNode tree) {
    this.tree = tree;
  }

  /** The raw tree (a copy: callers may edit it for the output config). */
  public ObjectNode tree() {
    return tree.deepCopy();
  }

  /** The first entry of {@code architectures}, or null. */
  public String architecture() {
    JsonNode a = tree.get("architectures");
    return a != null && a.isArray() && a.size() > 0 ? a.get(0).asText() : null;
  }

  public String modelType() {
    JsonNode t = tree.get("model_type");
    return t != null && t.isTextual() ? t.asText() : null;
  }

  /** The key holding the layer count ({@code num_hidden_layers}, {@code n_layer}, ...), or null. */
  public String layerCountKey() {
    for (String k : LAYER_COUNT_KEYS) {
      if (tree.has(k) && tree.get(k).canConvertToInt()) {
        return k;
      }
    }
    return null;
  }

  /** The layer count, or -1 when the config has no known layer count key. */
  public int layerCount() {
    String k = layerCountKey();
    return k == null ? -1 : tree.get(k).asInt();
  }

  /**
   * Whether input and output embeddings share one tensor. transformers defaults
   * {@code tie_word_embeddings} to true when the key is absent.
   */
  public boolean tieWordEmbeddings() {
    JsonNode t = tree.get("tie_word_embeddings");
    return t == null || t.asBoolean(true);
  }
}
