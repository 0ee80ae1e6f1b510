package dev.sparkmerge.bench.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.eval.model.CausalLm;
import dev.sparkmerge.eval.model.CausalLms;
import dev.sparkmerge.eval.model.MatMul;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tokens/s per core of the evaluator's forward pass: a Llama of the given shape with random
 * weights ({@link CausalLms#fromWeights}), one sequence of {@code --seq} tokens appended at once
 * with logits for every position, on the calling thread. Prints the median CPU time of
 * {@code --runs} forwards after one warm-up. scripts/torch_forward_bench.py is the PyTorch
 * baseline of the same shapes.
 *
 * <pre>scripts/bench forward [--seq 512] [--runs 3] [smollm-135m tinyllama-1.1b]</pre>
 */
public final class ForwardBench {
  private ForwardBench() {}

  public static void main(String[] args) {
    int seq = 512;
    int runs = 3;
    java.util.List<ForwardShape> shapes = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seq" -> seq = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        default -> shapes.add(ForwardShape.parse(args[i]));
      }
    }
    if (shapes.isEmpty()) {
      shapes.addAll(java.util.List.of(ForwardShape.values()));
    }
    System.out.println("MatMul kernel: " + MatMul.kernel() + "; seq = " + seq);
    for (ForwardShape shape : shapes) {
      CausalLm lm = CausalLms.fromWeights(config(shape), randomWeights(shape));
      int[] tokens = new SplittableRandom(1).ints(seq, 0, shape.vocab).toArray();
      double[] seconds = new double[runs];
      forwardSeconds(lm, tokens); // warm-up: the JIT compiles the kernels
      for (int r = 0; r < runs; r++) {
        seconds[r] = forwardSeconds(lm, tokens);
      }
      Arrays.sort(seconds);
      double median = seconds[runs / 2];
      System.out.printf("%s: %.3f s per forward of %d tokens, %.1f tokens/s (CPU time, median"
          + " of %d: %s)%n", shape.label, median, seq, seq / median, runs,
          Arrays.toString(seconds));
      lm = null;
      System.gc();
    }
  }

  private static double forwardSeconds(CausalLm lm, int[] tokens) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    CausalLm.Sequence s = lm.start(tokens.length);
    double[] sink = new double[1];
    long t0 = threads.getCurrentThreadCpuTime();
    s.append(tokens, tokens.length, 0, (i, logits) -> sink[0] += logits[i % logits.length]);
    long t = threads.getCurrentThreadCpuTime() - t0;
    if (Double.isNaN(sink[0])) {
      throw new IllegalStateException("NaN logits");
    }
    return t / 1e9;
  }

  static ObjectNode config(ForwardShape f) {
    ObjectNode c = new ObjectMapper().createObjectNode();
    c.put("model_type", "llama");
    c.put("vocab_size", f.vocab);
    c.put("hidden_size", f.hidden);
    c.put("intermediate_size", f.intermediate);
    c.put("num_hidden_layers", f.layers);
    c.put("num_attention_heads", f.heads);
    c.put("num_key_value_heads", f.kvHeads);
    c.put("max_position_embeddings", 2048);
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", 10000.0);
    c.put("tie_word_embeddings", f.tiedEmbeddings);
    return c;
  }

  /** Gaussian weights (σ = 0.02, as initialisers use), RMSNorm weights 1. */
  static Map<String, float[]> randomWeights(ForwardShape f) {
    SplittableRandom rnd = new SplittableRandom(0);
    Map<String, float[]> w = new HashMap<>();
    int kv = f.kvHeads * f.headDim();
    w.put("model.embed_tokens.weight", gaussian(rnd, f.vocab * f.hidden));
    for (int l = 0; l < f.layers; l++) {
      String p = "model.layers." + l + ".";
      w.put(p + "input_layernorm.weight", ones(f.hidden));
      w.put(p + "self_attn.q_proj.weight", gaussian(rnd, f.hidden * f.hidden));
      w.put(p + "self_attn.k_proj.weight", gaussian(rnd, kv * f.hidden));
      w.put(p + "self_attn.v_proj.weight", gaussian(rnd, kv * f.hidden));
      w.put(p + "self_attn.o_proj.weight", gaussian(rnd, f.hidden * f.hidden));
      w.put(p + "post_attention_layernorm.weight", ones(f.hidden));
      w.put(p + "mlp.gate_proj.weight", gaussian(rnd, f.intermediate * f.hidden));
      w.put(p + "mlp.up_proj.weight", gaussian(rnd, f.intermediate * f.hidden));
      w.put(p + "mlp.down_proj.weight", gaussian(rnd, f.hidden * f.intermediate));
    }
    w.put("model.norm.weight", ones(f.hidden));
    if (!f.tiedEmbeddings) {
      w.put("lm_head.weight", gaussian(rnd, f.vocab * f.hidden));
    }
    return w;
  }

  private static float[] gaussian(SplittableRandom rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * 0.02);
    }
    return a;
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    Arrays.fill(a, 1f);
    return a;
  }
}
