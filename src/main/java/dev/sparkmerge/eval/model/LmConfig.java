package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.eval.EvalException;
import java.util.Arrays;

/**
 * The hyperparameters of a decoder-only model, read from its config.json the way Hugging Face
 * transformers reads them (each architecture's own defaults for absent keys), reduced to the
 * few choices the forward pass makes: normalisation, positions, MLP, biases, attention windows.
 * Anything the forward pass cannot compute exactly as transformers does is refused here, before
 * weights are read.
 */
final class LmConfig {
  static final String SUPPORTED = "llama, mistral, qwen2, gpt2";

  /** Per-row normalisation before attention, MLP and the head. */
  enum Norm { RMS, LAYER }

  /** Feed-forward block: SiLU(gate)·up then down, or GELU (tanh form) between fc and proj. */
  enum Mlp { GATED_SILU, GELU_TANH }

  final String modelType;
  final int vocab;
  final int hidden;
  final int layers;
  final int heads;
  final int kvHeads;
  final int headDim;
  final int intermediate;
  final int contextLength;
  final Norm norm;
  final float normEps;
  final Mlp mlp;
  /** RoPE inverse frequencies (headDim / 2), or null for learned positions (GPT-2). */
  final float[] ropeInvFreq;
  final boolean qkvBias;
  final boolean outBias;
  final boolean mlpBias;
  final boolean tieEmbeddings;
  /**
   * Per layer: how many keys (the query's own included) a query sees; 0 = all earlier ones.
   * transformers' current masks keep keys k with q − window &lt; k ≤ q (some older versions kept
   * one more).
   */
  final int[] slidingWindow;
  /** Per layer: the factor applied to q·k before the softmax. */
  final float[] scoreScale;

  private LmConfig(Builder b) {
    this.modelType = b.modelType;
    this.vocab = b.vocab;
    this.hidden = b.hidden;
    this.layers = b.layers;
    this.heads = b.heads;
    this.kvHeads = b.kvHeads;
    this.headDim = b.headDim;
    this.intermediate = b.intermediate;
    this.contextLength = b.contextLength;
    this.norm = b.norm;
    this.normEps = b.normEps;
    this.mlp = b.mlp;
    this.ropeInvFreq = b.ropeInvFreq;
    this.qkvBias = b.qkvBias;
    this.outBias = b.outBias;
    this.mlpBias = b.mlpBias;
    this.tieEmbeddings = b.tieEmbeddings;
    this.slidingWindow = b.slidingWindow;
    this.scoreScale = b.scoreScale;
  }

  /** Width of the fused q, k, v projection output. */
  int qkvDim() {
    return (heads + 2 * kvHeads) * headDim;
  }

  /** Width of the attention output (input of o_proj / c_proj). */
  int attentionDim() {
    return heads * headDim;
  }

  boolean isGpt2() {
    return "gpt2".equals(modelType);
  }

  /**
   * Parses a config.json tree.
   *
   * @param source names the model in error messages (its directory, or "weights given in memory")
   * @throws EvalException for an unsupported model_type or setting, or a malformed value
   */
  static LmConfig parse(ObjectNode tree, String source) {
    JsonNode t = tree.get("model_type");
    String type = t != null && t.isTextual() ? t.asText() : null;
    if (type == null || !Arrays.asList("llama", "mistral", "qwen2", "gpt2").contains(type)) {
      throw new EvalException(source + ": config.json has model_type "
          + (type == null ? "(none)" : "'" + type + "'") + "; the evaluator runs " + SUPPORTED
          + " models only.");
    }
    Keys k = new Keys(tree, source);
    Builder b = type.equals("gpt2") ? gpt2(k) : llamaFamily(k, type);
    b.modelType = type;
    if (b.heads <= 0 || b.kvHeads <= 0 || b.heads % b.kvHeads != 0 || b.headDim <= 0
        || b.hidden <= 0 || b.layers <= 0 || b.vocab <= 0 || b.intermediate <= 0
        || b.contextLength <= 0) {
      throw new EvalException(source + ": config.json has inconsistent sizes: hidden " + b.hidden
          + ", layers " + b.layers + ", heads " + b.heads + ", key/value heads " + b.kvHeads
          + ", head_dim " + b.headDim + ", intermediate " + b.intermediate + ", vocab " + b.vocab
          + ", context " + b.contextLength + " (heads must be a multiple of key/value heads).");
    }
    return new LmConfig(b);
  }

  private static Builder llamaFamily(Keys k, String type) {
    boolean mistral = type.equals("mistral");
    boolean qwen2 = type.equals("qwen2");
    Builder b = new Builder();
    b.vocab = k.requireInt("vocab_size");
    b.hidden = k.requireInt("hidden_size");
    b.intermediate = k.requireInt("intermediate_size");
    b.layers = k.requireInt("num_hidden_layers");
    b.heads = k.requireInt("num_attention_heads");
    b.kvHeads = k.intOr("num_key_value_heads", b.heads);
    b.headDim = k.intOr("head_dim", b.heads > 0 ? b.hidden / b.heads : 0);
    int defaultContext = mistral ? 4096 * 32 : qwen2 ? 32768 : 2048;
    b.contextLength = k.intOr("max_position_embeddings", defaultContext);
    b.norm = Norm.RMS;
    b.normEps = (float) k.doubleOr("rms_norm_eps", 1e-6);
    b.mlp = Mlp.GATED_SILU;
    String act = k.textOr("hidden_act", "silu");
    if (!act.equals("silu") && !act.equals("swish")) {
      throw new EvalException(k.source + ": config.json sets hidden_act '" + act + "'; the "
          + type + " forward pass supports silu only.");
    }
    b.qkvBias = qwen2 || (!mistral && k.boolOr("attention_bias", false));
    b.outBias = !mistral && !qwen2 && k.boolOr("attention_bias", false);
    b.mlpBias = !mistral && !qwen2 && k.boolOr("mlp_bias", false);
    b.tieEmbeddings = k.boolOr("tie_word_embeddings", false);
    b.ropeInvFreq = RopeFrequencies.of(k, b.headDim);
    b.slidingWindow = new int[Math.max(b.layers, 0)];
    if (mistral) {
      // transformers' MistralConfig defaults to 4096; an explicit null turns the window off.
      boolean off = k.tree.has("sliding_window") && k.tree.get("sliding_window").isNull();
      Arrays.fill(b.slidingWindow, off ? 0 : k.intOr("sliding_window", 4096));
    } else if (qwen2) {
      qwen2Windows(k, b.slidingWindow);
    }
    b.scoreScale = new float[Math.max(b.layers, 0)];
    Arrays.fill(b.scoreScale, (float) StrictMath.pow(b.headDim, -0.5));
    return b;
  }

  /**
   * Qwen2 uses a sliding window only with use_sliding_window, and then (as transformers' layer
   * types say) in the layers from max_window_layers on, or where layer_types names them.
   */
  private static void qwen2Windows(Keys k, int[] windows) {
    JsonNode types = k.tree.get("layer_types");
    boolean use = k.boolOr("use_sliding_window", false);
    int window = k.intOr("sliding_window", 4096);
    if (types != null && types.isArray() && types.size() == windows.length) {
      for (int l = 0; l < windows.length; l++) {
        windows[l] = "sliding_attention".equals(types.get(l).asText()) ? window : 0;
      }
      return;
    }
    if (use) {
      int from = k.intOr("max_window_layers", 28);
      for (int l = from; l < windows.length; l++) {
        windows[l] = window;
      }
    }
  }

  private static Builder gpt2(Keys k) {
    Builder b = new Builder();
    b.vocab = k.intOr("vocab_size", 50257);
    b.hidden = k.intOr("n_embd", k.intOr("hidden_size", 768));
    b.layers = k.intOr("n_layer", k.intOr("num_hidden_layers", 12));
    b.heads = k.intOr("n_head", k.intOr("num_attention_heads", 12));
    b.kvHeads = b.heads;
    b.headDim = b.heads > 0 ? b.hidden / b.heads : 0;
    if (b.heads > 0 && b.headDim * b.heads != b.hidden) {
      throw new EvalException(k.source + ": config.json has n_embd " + b.hidden
          + " not divisible by n_head " + b.heads + ".");
    }
    b.intermediate = k.intOr("n_inner", 4 * b.hidden);
    b.contextLength = k.intOr("n_positions", k.intOr("max_position_embeddings", 1024));
    b.norm = Norm.LAYER;
    b.normEps = (float) k.doubleOr("layer_norm_epsilon", 1e-5);
    b.mlp = Mlp.GELU_TANH;
    String act = k.textOr("activation_function", "gelu_new");
    if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu_fast")) {
      throw new EvalException(k.source + ": config.json sets activation_function '" + act
          + "'; the gpt2 forward pass supports the tanh GELU (gelu_new, gelu_pytorch_tanh,"
          + " gelu_fast) only.");
    }
    b.qkvBias = true;
    b.outBias = true;
    b.mlpBias = true;
    b.tieEmbeddings = k.boolOr("tie_word_embeddings", true);
    b.slidingWindow = new int[Math.max(b.layers, 0)];
    b.scoreScale = new float[Math.max(b.layers, 0)];
    boolean scale = k.boolOr("scale_attn_weights", true);
    boolean byLayer = k.boolOr("scale_attn_by_inverse_layer_idx", false);
    for (int l = 0; l < b.scoreScale.length; l++) {
      double s = scale ? 1.0 / Math.sqrt(b.headDim) : 1.0;
      b.scoreScale[l] = (float) (byLayer ? s / (l + 1) : s);
    }
    return b;
  }

  /** Mutable fields while parsing. */
  private static final class Builder {
    String modelType;
    int vocab;
    int hidden;
    int layers;
    int heads;
    int kvHeads;
    int headDim;
    int intermediate;
    int contextLength;
    Norm norm;
    float normEps;
    Mlp mlp;
    float[] ropeInvFreq;
    boolean qkvBias;
    boolean outBias;
    boolean mlpBias;
    boolean tieEmbeddings;
    int[] slidingWindow;
    float[] scoreScale;
  }

  /** Typed reads of config.json keys; a present null counts as absent (transformers' None). */
  static final class Keys {
    final ObjectNode tree;
    final String source;

    Keys(ObjectNode tree, String source) {
      this.tree = tree;
      this.source = source;
    }

    JsonNode get(String key) {
      JsonNode n = tree.get(key);
      return n == null || n.isNull() ? null : n;
    }

    int requireInt(String key) {
      if (get(key) == null) {
        throw new EvalException(source + ": config.json has no '" + key + "'.");
      }
      return intOr(key, 0);
    }

    int intOr(String key, int fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.isIntegralNumber() || !n.canConvertToInt()) {
        throw new EvalException(source + ": config.json key '" + key + "' should be an integer,"
            + " not " + n + ".");
      }
      return n.asInt();
    }

    double doubleOr(String key, double fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.isNumber()) {
        throw new EvalException(source + ": config.json key '" + key + "' should be a number,"
            + " not " + n + ".");
      }
      return n.asDouble();
    }

    boolean boolOr(String key, boolean fallback) {
      JsonNode n = get(key);
      if (n == null) {
        return fallback;
      }
      if (!n.isBoolean()) {
        throw new EvalException(source + ": config.json key '" + key + "' should be true or"
            + " false, not " + n + ".");
      }
      return n.asBoolean();
    }

    String textOr(String key, String fallback) {
      JsonNode n = get(key);
      return n == null ? fallback : n.asText();
    }
  }
}
