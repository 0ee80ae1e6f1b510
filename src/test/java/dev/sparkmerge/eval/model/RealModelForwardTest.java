package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trained tiny Llama models of shared/models (F32, GQA, untied head, vocab 256 = bytes):
 * production logits against the float64 reference, with and without a LoRA adapter, and the
 * dev-set losses against the figures an independent PyTorch forward computed
 * (tiny-llama/reference-dev.json).
 */
class RealModelForwardTest {
  private static final String TEXT = "color llfu = lime\ncpy hello = hello\nadd 240 370 = 610\n"
      + "cnt l hello = 2\nanimal rxmt = bee\n";

  static Path models() {
    return Path.of(System.getProperty("sparkmerge.models", "../shared/models"));
  }

  private static ObjectNode config(Path model) throws IOException {
    return (ObjectNode) TestModels.JSON.readTree(model.resolve("config.json").toFile());
  }

  private static CausalLm load(String model, String adapter) {
    return CausalLms.load(CheckpointFs.withDefaults(), models().resolve(model).toString(),
        adapter == null ? null : models().resolve(adapter).toString());
  }

  private static void compare(String model) throws IOException {
    Path dir = models().resolve(model);
    Map<String, double[]> w = SafetensorsReader64.read(dir.resolve("model.safetensors"));
    int[] tokens = LogitChecks.bytes(TEXT);
    LogitChecks.assertClose(model, LogitChecks.run(load(model, null), tokens),
        ReferenceForward.logits(config(dir), w, tokens));
  }

  @Test
  void baseModelMatchesTheReference() throws IOException {
    compare("tiny-llama-base");
  }

  @Test
  void fullFineTuneMatchesTheReference() throws IOException {
    compare("tiny-llama-ft-color");
  }

  @Test
  void baseWithLoraAdapterMatchesTheReferenceOnMergedWeights() throws IOException {
    Path base = models().resolve("tiny-llama-base");
    Path adapter = models().resolve("tiny-llama-lora-add");
    Map<String, double[]> w = SafetensorsReader64.read(base.resolve("model.safetensors"));
    Map<String, double[]> lora = SafetensorsReader64.read(
        adapter.resolve("adapter_model.safetensors"));
    JsonNode ac = TestModels.JSON.readTree(adapter.resolve("adapter_config.json").toFile());
    double scale = ac.get("lora_alpha").asDouble() / ac.get("r").asDouble();
    assertEquals(2.0, scale);
    int merged = 0;
    for (String key : lora.keySet()) {
      if (!key.endsWith(".lora_A.weight")) {
        continue;
      }
      String module = key.substring("base_model.model.".length(),
          key.length() - ".lora_A.weight".length());
      double[] a = lora.get(key);
      double[] b = lora.get(key.replace(".lora_A.", ".lora_B."));
      double[] weight = w.get(module + ".weight");
      int r = ac.get("r").asInt();
      int in = a.length / r;
      int out = b.length / r;
      assertEquals((long) in * out, weight.length, module);
      for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
          double s = 0;
          for (int k = 0; k < r; k++) {
            s += b[o * r + k] * a[k * in + i];
          }
          weight[o * in + i] += scale * s;
        }
      }
      merged++;
    }
    assertEquals(4 * 7, merged); // 4 layers × 7 projections
    int[] tokens = LogitChecks.bytes(TEXT);
    float[][] adapted = LogitChecks.run(load("tiny-llama-base", "tiny-llama-lora-add"), tokens);
    LogitChecks.assertClose("tiny-llama-base+lora-add", adapted,
        ReferenceForward.logits(config(base), w, tokens));
  }

  /**
   * Token-weighted loss over the completions of the color task's dev split, scored as {@code
   * sparkmerge eval} scores: completion bytes given the prompt, log-softmax in double here.
   */
  private static double[] colorLoss(CausalLm lm) throws IOException {
    Path tasks = models().resolveSibling("eval").resolve("tiny-tasks").resolve("color.jsonl");
    List<String> lines = Files.readAllLines(tasks);
    double nll = 0;
    int count = 0;
    for (String line : lines) {
      JsonNode ex = TestModels.JSON.readTree(line);
      int[] prompt = LogitChecks.bytes(ex.get("prompt").asText());
      int[] all = LogitChecks.bytes(ex.get("prompt").asText() + ex.get("completion").asText());
      double[] sum = {0};
      CausalLm.Sequence s = lm.start(all.length);
      s.append(all, all.length, prompt.length - 1, (i, logits) -> {
        if (i + 1 < all.length) {
          sum[0] -= logSoftmax(logits, all[i + 1]);
        }
      });
      nll += sum[0];
      count += all.length - prompt.length;
    }
    return new double[] {nll / count, count};
  }

  private static double logSoftmax(float[] logits, int token) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    return logits[token] - max - Math.log(sum);
  }

  private static double referenceLoss(String model, String task) throws IOException {
    JsonNode ref = TestModels.JSON.readTree(
        models().resolve("tiny-llama").resolve("reference-dev.json").toFile());
    for (JsonNode m : ref.get("models")) {
      if (m.get("model").asText().equals(model)) {
        return m.get("tasks").get(task).get("loss").asDouble();
      }
    }
    throw new AssertionError("no " + model + " in reference-dev.json");
  }

  @Test
  void devLossesMatchAnIndependentPytorchForward() throws IOException {
    String[][] cases = {
        {"tiny-llama-base", null, "tiny-llama-base"},
        {"tiny-llama-ft-color", null, "tiny-llama-ft-color"},
        {"tiny-llama-base", "tiny-llama-lora-add", "tiny-llama-base+tiny-llama-lora-add"}};
    for (String[] c : cases) {
      double[] loss = colorLoss(load(c[0], c[1]));
      double expected = referenceLoss(c[2], "color");
      System.out.printf("%s color loss %.9f, PyTorch %.9f, diff %.2g%n", c[2], loss[0],
          expected, loss[0] - expected);
      assertEquals(1236, (int) loss[1], c[2] + ": scored tokens");
      // PyTorch's float32 forward and ours differ in summation order only (measured: at most
      // 2e-7 nats); any modelling error (a wrong head, mask, RoPE) moves the loss by 0.01 or more.
      assertEquals(expected, loss[0], 2e-6, c[2]);
    }
  }
}
