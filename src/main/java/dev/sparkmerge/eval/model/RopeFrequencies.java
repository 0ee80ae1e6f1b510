package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkmerge.eval.EvalException;

/**
 * RoPE inverse frequencies as transformers' rope initialisation functions compute them, in
 * float32 step by step (default, {@code linear} and {@code llama3} scaling). Other scaling types
 * change attention with the sequence length or need extra factors, and are refused.
 */
final class RopeFrequencies {
  private RopeFrequencies() {}

  /** The headDim / 2 inverse frequencies for the config's rope_theta and rope_scaling. */
  static float[] of(LmConfig.Keys k, int headDim) {
    JsonNode params = k.get("rope_parameters"); // transformers 5 keeps theta and scaling here
    JsonNode scaling = k.get("rope_scaling");
    if (scaling == null) {
      scaling = params;
    }
    double theta = k.doubleOr("rope_theta",
        params != null && params.hasNonNull("rope_theta") ? params.get("rope_theta").asDouble()
            : 10000.0);
    double partial = k.doubleOr("partial_rotary_factor", 1.0);
    if (partial != 1.0) {
      throw new EvalException(k.source + ": config.json sets partial_rotary_factor " + partial
          + "; only full rotary embeddings (1.0) are supported.");
    }
    if (headDim % 2 != 0) {
      throw new EvalException(k.source + ": head_dim " + headDim + " is odd; RoPE needs pairs.");
    }
    float[] inv = defaults(theta, headDim);
    String type = scaling == null ? "default" : text(scaling, "rope_type",
        text(scaling, "type", "default"));
    switch (type) {
      case "default":
        return inv;
      case "linear":
        float factor = (float) number(k, scaling, "factor");
        for (int i = 0; i < inv.length; i++) {
          inv[i] /= factor;
        }
        return inv;
      case "llama3":
        return llama3(k, scaling, inv);
      default:
        throw new EvalException(k.source + ": config.json sets rope scaling '" + type
            + "'; the evaluator supports none, 'linear' and 'llama3'.");
    }
  }

  /** 1 / theta^(2i / d) with each operation rounded to float32, as torch computes it. */
  private static float[] defaults(double theta, int headDim) {
    float[] inv = new float[headDim / 2];
    float base = (float) theta;
    for (int i = 0; i < inv.length; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      float power = (float) StrictMath.pow(base, exponent);
      inv[i] = 1.0f / power;
    }
    return inv;
  }

  /**
   * transformers' {@code _compute_llama3_parameters}: long wavelengths divided by factor, short
   * ones kept, the band between interpolated smoothly; float32 throughout.
   */
  private static float[] llama3(LmConfig.Keys k, JsonNode s, float[] inv) {
    float factor = (float) number(k, s, "factor");
    float low = (float) number(k, s, "low_freq_factor");
    float high = (float) number(k, s, "high_freq_factor");
    float oldContext = (float) number(k, s, "original_max_position_embeddings");
    float lowWavelen = oldContext / low;
    float highWavelen = oldContext / high;
    float twoPi = (float) (2 * Math.PI);
    float[] out = new float[inv.length];
    for (int i = 0; i < inv.length; i++) {
      float wavelen = twoPi / inv[i];
      float f = wavelen > lowWavelen ? inv[i] / factor : inv[i];
      boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
      if (medium) {
        float smooth = (oldContext / wavelen - low) / (high - low);
        f = (1 - smooth) * f / factor + smooth * f;
      }
      out[i] = f;
    }
    return out;
  }

  private static String text(JsonNode n, String key, String fallback) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? fallback : v.asText();
  }

  private static double number(LmConfig.Keys k, JsonNode s, String key) {
    JsonNode v = s.get(key);
    if (v == null || !v.isNumber()) {
      throw new EvalException(k.source + ": config.json's rope scaling " + s + " lacks the"
          + " number '" + key + "'.");
    }
    return v.asDouble();
  }
}
