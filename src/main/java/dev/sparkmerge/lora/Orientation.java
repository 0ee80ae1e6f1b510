package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.ModelConfig;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which base modules store their weight transposed (in × out) relative to ΔW = s·B·A (reference
 * §2.5). safetensors does not record layer types, so this is decided by architecture: the GPT-2
 * family uses transformers' Conv1D for its attention and MLP projections. Other architectures
 * reuse those names for nn.Linear (gpt_bigcode's c_attn is out × in), so the module name alone is
 * not enough; the shape is only a sanity check, since square weights (attn.c_proj, 768 × 768) fit
 * both ways.
 */
final class Orientation {
  /** model_type values whose models build attention/MLP projections from Conv1D. */
  static final Set<String> CONV1D_MODEL_TYPES =
      Set.of("gpt2", "openai-gpt", "imagegpt", "decision_transformer");
  /** Architecture class prefixes for the same family (when model_type is missing). */
  static final List<String> CONV1D_ARCHITECTURES =
      List.of("GPT2", "OpenAIGPT", "ImageGPT", "DecisionTransformer");
  /** Module path suffixes that are Conv1D in those models. */
  static final List<String> CONV1D_MODULES = List.of(".attn.c_attn", ".attn.c_proj",
      ".mlp.c_fc", ".mlp.c_proj", ".crossattention.c_attn", ".crossattention.q_attn",
      ".crossattention.c_proj");

  private Orientation() {}

  /** True/false when config.json identifies the family; null when there is no usable config. */
  static Boolean conv1dFamily(ModelConfig config) {
    if (config == null) {
      return null;
    }
    String type = config.modelType();
    if (type != null) {
      return CONV1D_MODEL_TYPES.contains(type.toLowerCase(Locale.ROOT));
    }
    String arch = config.architecture();
    if (arch != null) {
      return CONV1D_ARCHITECTURES.stream().anyMatch(arch::startsWith);
    }
    return null;
  }

  /** True if the module's name is one of the GPT-2 family Conv1D projections. */
  static boolean conv1dName(String modulePath) {
    String p = "." + modulePath;
    return CONV1D_MODULES.stream().anyMatch(p::endsWith);
  }
}
