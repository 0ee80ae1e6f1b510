package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.lora.AdapterMapping;
import java.util.Map;

/**
 * Builds {@link CausalLm}s: Llama (Llama 2/3, SmolLM and other Llama-shaped models), Mistral,
 * Qwen2 and GPT-2, computed in float32 as Hugging Face transformers' eager path computes them.
 * Weights are decoded to float32 whatever their stored dtype; an optional PEFT adapter is applied
 * on the fly (W + ΔW, DoRA, lora_bias, modules_to_save), exactly as a {@code BASE+ADAPTER} merge
 * input, and nothing is written to disk.
 */
public final class CausalLms {
  private CausalLms() {}

  /**
   * Loads a Hugging Face model directory on any Hadoop URI, with a PEFT LoRA adapter applied when
   * {@code adapterPath} is not null.
   *
   * @throws EvalException for an unsupported architecture or setting, a missing tensor or one
   *     whose shape disagrees with config.json, or an adapter that cannot be applied
   */
  public static CausalLm load(CheckpointFs fs, String modelPath, String adapterPath) {
    HfModel model = open(fs, modelPath);
    LmConfig config = LmConfig.parse(model.config().tree(), model.root().toString());
    AdapterMapping mapping = null;
    if (adapterPath != null) {
      try {
        mapping = AdapterMapping.map(PeftAdapter.open(fs, adapterPath), model);
      } catch (CheckpointException e) {
        throw new EvalException(e.getMessage(), e);
      }
    }
    try (CheckpointTensors tensors = new CheckpointTensors(fs, model, mapping)) {
      LmWeights weights = WeightLoader.load(config, tensors);
      tensors.checkAllApplied();
      return new DecoderLm(config, weights);
    } catch (CheckpointException e) {
      throw new EvalException(modelPath + (adapterPath == null ? "" : "+" + adapterPath)
          + ": cannot read the weights: " + e.getMessage(), e);
    }
  }

  /**
   * A model from a config.json tree and float32 tensors named and shaped as in the Hugging Face
   * checkpoint (row-major; GPT-2's Conv1D weights in × out as stored). Norms, biases and an
   * untied embedding are used without copying, so the caller must not modify them afterwards;
   * each linear layer's matrix (and the LM head) is copied into the kernel's packed layout, one
   * matrix at a time ({@link PackedMatrix}), so while the caller keeps its map the weights are
   * held twice. A caller short of memory can hand over a map that builds (or drops) each array
   * when it is asked for; only {@code containsKey} and {@code get} are called.
   *
   * @throws EvalException for an unsupported config, or a missing tensor or wrong element count
   */
  public static CausalLm fromWeights(ObjectNode config, Map<String, float[]> weights) {
    MapTensors tensors = new MapTensors(weights);
    LmConfig c = LmConfig.parse(config, tensors.describe());
    return new DecoderLm(c, WeightLoader.load(c, tensors));
  }

  /**
   * Bytes of float32 weights {@link #load} will hold for the model (without an adapter, which
   * changes values, not sizes), from config.json and the safetensors headers only.
   *
   * @throws EvalException for an unsupported architecture, or a checkpoint lacking the
   *     tensors config.json implies
   */
  public static long weightBytes(CheckpointFs fs, String modelPath) {
    HfModel model = open(fs, modelPath);
    LmConfig config = LmConfig.parse(model.config().tree(), model.root().toString());
    if (!config.tieEmbeddings && model.find("lm_head.weight") == null) {
      throw new EvalException(model.root() + ": the model has no tensor 'lm_head.weight' and"
          + " config.json does not tie it to the input embedding; expected shape ["
          + config.vocab + ", " + config.hidden + "].");
    }
    return 4 * WeightLoader.floats(config);
  }

  private static HfModel open(CheckpointFs fs, String modelPath) {
    HfModel model;
    try {
      model = HfModel.open(fs, modelPath);
    } catch (CheckpointException e) {
      throw new EvalException(e.getMessage(), e);
    }
    if (model.config() == null) {
      throw new EvalException(model.root() + ": no config.json; the evaluator needs the model's"
          + " architecture (a Hugging Face model directory).");
    }
    return model;
  }
}
