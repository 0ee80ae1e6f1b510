package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * An independent float64 forward pass of llama / mistral / qwen2 / gpt2, written from the
 * transformers modelling code with the plainest loops: no KV cache, the whole causal attention
 * matrix per head, GPT-2's Conv1D used in its stored in × out orientation. Shares no code with
 * the production forward pass; tests compare the two.
 */
final class ReferenceForward {
  private final JsonNode cfg;
  private final Map<String, double[]> w;
  private final String type;

  private ReferenceForward(ObjectNode config, Map<String, double[]> weights) {
    this.cfg = config;
    this.w = weights;
    this.type = config.get("model_type").asText();
  }

  /** Logits [position][vocab] for every position of {@code tokens}. */
  static double[][] logits(ObjectNode config, Map<String, double[]> weights, int[] tokens) {
    ReferenceForward f = new ReferenceForward(config, weights);
    return f.type.equals("gpt2") ? f.gpt2(tokens) : f.llama(tokens);
  }

  private double[] t(String name) {
    double[] a = w.get(name);
    if (a == null) {
      throw new IllegalArgumentException("reference: no tensor " + name);
    }
    return a;
  }

  private int i(String key, int fallback) {
    JsonNode n = cfg.get(key);
    return n == null || n.isNull() ? fallback : n.asInt();
  }

  // ---------------------------------------------------------------- llama, mistral, qwen2

  private double[][] llama(int[] tokens) {
    int n = tokens.length;
    int hidden = i("hidden_size", 0);
    int heads = i("num_attention_heads", 0);
    int kvHeads = i("num_key_value_heads", heads);
    int hd = i("head_dim", hidden / heads);
    int layers = i("num_hidden_layers", 0);
    int inter = i("intermediate_size", 0);
    int vocab = i("vocab_size", 0);
    double eps = cfg.get("rms_norm_eps").asDouble();
    boolean qwen2 = type.equals("qwen2");
    boolean mistral = type.equals("mistral");
    boolean attnBias = qwen2 || (cfg.has("attention_bias") && cfg.get("attention_bias").asBoolean());
    boolean oBias = !qwen2 && attnBias;
    boolean mlpBias = cfg.has("mlp_bias") && cfg.get("mlp_bias").asBoolean();
    int window = mistral && cfg.has("sliding_window") && cfg.get("sliding_window").isNumber()
        ? cfg.get("sliding_window").asInt() : 0;
    boolean tied = cfg.has("tie_word_embeddings") && cfg.get("tie_word_embeddings").asBoolean();
    String p = w.containsKey("model.embed_tokens.weight") ? "model." : "";
    double[] invFreq = invFreq(hd);

    double[][] x = new double[n][hidden];
    double[] emb = t(p + "embed_tokens.weight");
    for (int s = 0; s < n; s++) {
      System.arraycopy(emb, tokens[s] * hidden, x[s], 0, hidden);
    }
    for (int l = 0; l < layers; l++) {
      String lp = p + "layers." + l + ".";
      double[][] h = new double[n][];
      for (int s = 0; s < n; s++) {
        h[s] = rms(x[s], t(lp + "input_layernorm.weight"), eps);
      }
      double[][] q = new double[n][];
      double[][] k = new double[n][];
      double[][] v = new double[n][];
      for (int s = 0; s < n; s++) {
        q[s] = linear(h[s], lp + "self_attn.q_proj", attnBias);
        k[s] = linear(h[s], lp + "self_attn.k_proj", attnBias);
        v[s] = linear(h[s], lp + "self_attn.v_proj", attnBias);
        rope(q[s], heads, hd, s, invFreq);
        rope(k[s], kvHeads, hd, s, invFreq);
      }
      double[][] att = attention(q, k, v, heads, kvHeads, hd, 1.0 / Math.sqrt(hd), window);
      for (int s = 0; s < n; s++) {
        add(x[s], linear(att[s], lp + "self_attn.o_proj", oBias));
      }
      for (int s = 0; s < n; s++) {
        double[] hn = rms(x[s], t(lp + "post_attention_layernorm.weight"), eps);
        double[] g = linear(hn, lp + "mlp.gate_proj", mlpBias);
        double[] u = linear(hn, lp + "mlp.up_proj", mlpBias);
        double[] a = new double[inter];
        for (int j = 0; j < inter; j++) {
          a[j] = g[j] / (1 + Math.exp(-g[j])) * u[j];
        }
        add(x[s], linear(a, lp + "mlp.down_proj", mlpBias));
      }
    }
    double[] head = tied ? emb : t("lm_head.weight");
    double[][] out = new double[n][];
    for (int s = 0; s < n; s++) {
      out[s] = matVec(head, vocab, hidden, rms(x[s], t(p + "norm.weight"), eps));
    }
    return out;
  }

  private double[] linear(double[] in, String module, boolean bias) {
    double[] weight = t(module + ".weight");
    int rows = weight.length / in.length;
    double[] y = matVec(weight, rows, in.length, in);
    if (bias) {
      add(y, t(module + ".bias"));
    }
    return y;
  }

  /** y = W·x for W rows × cols (nn.Linear layout). */
  private static double[] matVec(double[] weight, int rows, int cols, double[] x) {
    double[] y = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int j = 0; j < cols; j++) {
        s += weight[r * cols + j] * x[j];
      }
      y[r] = s;
    }
    return y;
  }

  private static double[] rms(double[] x, double[] weight, double eps) {
    double ss = 0;
    for (double v : x) {
      ss += v * v;
    }
    double inv = 1 / Math.sqrt(ss / x.length + eps);
    double[] y = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      y[j] = x[j] * inv * weight[j];
    }
    return y;
  }

  private double[] invFreq(int hd) {
    double theta = cfg.has("rope_theta") ? cfg.get("rope_theta").asDouble() : 10000;
    double[] inv = new double[hd / 2];
    for (int j = 0; j < inv.length; j++) {
      inv[j] = 1 / Math.pow(theta, 2.0 * j / hd);
    }
    JsonNode sc = cfg.get("rope_scaling");
    if (sc == null || sc.isNull()) {
      return inv;
    }
    String kind = sc.has("rope_type") ? sc.get("rope_type").asText() : sc.get("type").asText();
    double factor = sc.get("factor").asDouble();
    if (kind.equals("linear")) {
      for (int j = 0; j < inv.length; j++) {
        inv[j] /= factor;
      }
    } else if (kind.equals("llama3")) {
      double low = sc.get("low_freq_factor").asDouble();
      double high = sc.get("high_freq_factor").asDouble();
      double old = sc.get("original_max_position_embeddings").asDouble();
      for (int j = 0; j < inv.length; j++) {
        double wavelen = 2 * Math.PI / inv[j];
        if (wavelen < old / high) {
          continue; // high frequency: unchanged
        }
        if (wavelen > old / low) {
          inv[j] /= factor; // low frequency: interpolated by the factor
        } else {
          double smooth = (old / wavelen - low) / (high - low);
          inv[j] = (1 - smooth) * inv[j] / factor + smooth * inv[j];
        }
      }
    } else {
      throw new IllegalArgumentException("reference: rope " + kind);
    }
    return inv;
  }

  /** rotate_half RoPE of each head of x at position pos. */
  private static void rope(double[] x, int heads, int hd, int pos, double[] inv) {
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
      double[] r = new double[hd];
      for (int j = 0; j < hd; j++) {
        double angle = pos * inv[j % half];
        double rotated = j < half ? -x[h * hd + j + half] : x[h * hd + j - half];
        r[j] = x[h * hd + j] * Math.cos(angle) + rotated * Math.sin(angle);
      }
      System.arraycopy(r, 0, x, h * hd, hd);
    }
  }

  /** Full causal attention matrix per head; window &gt; 0 keeps keys s − window &lt; j ≤ s. */
  private static double[][] attention(double[][] q, double[][] k, double[][] v, int heads,
      int kvHeads, int hd, double scale, int window) {
    int n = q.length;
    double[][] out = new double[n][heads * hd];
    for (int h = 0; h < heads; h++) {
      int g = h / (heads / kvHeads);
      double[][] a = new double[n][n];
      for (int s = 0; s < n; s++) {
        for (int j = 0; j < n; j++) {
          boolean visible = j <= s && (window == 0 || j > s - window);
          if (!visible) {
            a[s][j] = Double.NEGATIVE_INFINITY;
            continue;
          }
          double dot = 0;
          for (int d = 0; d < hd; d++) {
            dot += q[s][h * hd + d] * k[j][g * hd + d];
          }
          a[s][j] = dot * scale;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double z : a[s]) {
          max = Math.max(max, z);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
          a[s][j] = Math.exp(a[s][j] - max);
          sum += a[s][j];
        }
        for (int j = 0; j < n; j++) {
          double p = a[s][j] / sum;
          for (int d = 0; d < hd; d++) {
            out[s][h * hd + d] += p * v[j][g * hd + d];
          }
        }
      }
    }
    return out;
  }

  private static void add(double[] x, double[] y) {
    for (int j = 0; j < x.length; j++) {
      x[j] += y[j];
    }
  }

  // ---------------------------------------------------------------- gpt2

  private double[][] gpt2(int[] tokens) {
    int n = tokens.length;
    int hidden = i("n_embd", 768);
    int heads = i("n_head", 12);
    int layers = i("n_layer", 12);
    int vocab = i("vocab_size", 50257);
    int hd = hidden / heads;
    double eps = cfg.has("layer_norm_epsilon") ? cfg.get("layer_norm_epsilon").asDouble() : 1e-5;
    boolean byLayer = cfg.has("scale_attn_by_inverse_layer_idx")
        && cfg.get("scale_attn_by_inverse_layer_idx").asBoolean();
    String p = w.containsKey("transformer.wte.weight") ? "transformer." : "";
    double[] wte = t(p + "wte.weight");
    double[] wpe = t(p + "wpe.weight");
    double[][] x = new double[n][hidden];
    for (int s = 0; s < n; s++) {
      for (int j = 0; j < hidden; j++) {
        x[s][j] = wte[tokens[s] * hidden + j] + wpe[s * hidden + j];
      }
    }
    for (int l = 0; l < layers; l++) {
      String lp = p + "h." + l + ".";
      double[][] q = new double[n][hidden];
      double[][] k = new double[n][hidden];
      double[][] v = new double[n][hidden];
      for (int s = 0; s < n; s++) {
        double[] hn = layerNorm(x[s], t(lp + "ln_1.weight"), t(lp + "ln_1.bias"), eps);
        double[] qkv = conv1d(hn, lp + "attn.c_attn");
        System.arraycopy(qkv, 0, q[s], 0, hidden);
        System.arraycopy(qkv, hidden, k[s], 0, hidden);
        System.arraycopy(qkv, 2 * hidden, v[s], 0, hidden);
      }
      double scale = 1 / Math.sqrt(hd) / (byLayer ? l + 1 : 1);
      double[][] att = attention(q, k, v, heads, heads, hd, scale, 0);
      for (int s = 0; s < n; s++) {
        add(x[s], conv1d(att[s], lp + "attn.c_proj"));
      }
      for (int s = 0; s < n; s++) {
        double[] hn = layerNorm(x[s], t(lp + "ln_2.weight"), t(lp + "ln_2.bias"), eps);
        double[] a = conv1d(hn, lp + "mlp.c_fc");
        for (int j = 0; j < a.length; j++) {
          double z = a[j];
          a[j] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
        }
        add(x[s], conv1d(a, lp + "mlp.c_proj"));
      }
    }
    boolean tied = !cfg.has("tie_word_embeddings") || cfg.get("tie_word_embeddings").asBoolean();
    double[] head = tied ? wte : t("lm_head.weight");
    double[][] out = new double[n][];
    for (int s = 0; s < n; s++) {
      double[] hn = layerNorm(x[s], t(p + "ln_f.weight"), t(p + "ln_f.bias"), eps);
      out[s] = matVec(head, vocab, hidden, hn);
    }
    return out;
  }

  /** GPT-2 Conv1D: y = x · W + b with W stored in × out. */
  private double[] conv1d(double[] x, String module) {
    double[] weight = t(module + ".weight");
    double[] bias = t(module + ".bias");
    int out = bias.length;
    double[] y = bias.clone();
    for (int i = 0; i < x.length; i++) {
      for (int o = 0; o < out; o++) {
        y[o] += x[i] * weight[i * out + o];
      }
    }
    return y;
  }

  private static double[] layerNorm(double[] x, double[] weight, double[] bias, double eps) {
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= x.length;
    double[] y = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      y[j] = (x[j] - mean) / Math.sqrt(var + eps) * weight[j] + bias[j];
    }
    return y;
  }
}
