package dev.sparkmerge.bench.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.eval.model.CausalLm;
import dev.sparkmerge.eval.model.CausalLms;
import dev.sparkmerge.eval.model.MatMul;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Tokens/s per core of the evaluator's forward pass: a Llama of the given shape with random
 * weights ({@link CausalLms#fromWeights}), one sequence of {@code --seq} tokens appended at once
 * with logits for every position, on the calling thread; with {@code --decode}, appended one
 * token at a time as greedy decoding does (every product then has one row). Prints the median
 * CPU time of {@code --runs} forwards after one warm-up. scripts/torch_forward_bench.py is the
 * PyTorch baseline of the same shapes (whole sequences only).
 *
 * <pre>scripts/bench forward [--seq 512] [--runs 3] [--decode] [smollm-135m tinyllama-1.1b]</pre>
 */
public final class ForwardBench {
  private ForwardBench() {}

  public static void main(String[] args) {
    int seq = 512;
    int runs = 3;
    boolean decode = false;
    java.util.List<ForwardShape> shapes = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seq" -> seq = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--decode" -> decode = true;
        default -> shapes.add(ForwardShape.parse(args[i]));
      }
    }
    if (shapes.isEmpty()) {
      shapes.addAll(java.util.List.of(ForwardShape.values()));
    }
    System.out.println("MatMul kernel: " + MatMul.kernel() + "; seq = " + seq
        + (decode ? ", one token per append" : ""));
    for (ForwardShape shape : shapes) {
      CausalLm lm = CausalLms.fromWeights(config(shape), randomWeights(shape));
      int[] tokens = new SplittableRandom(1).ints(seq, 0, shape.vocab).toArray();
      double[] seconds = new double[runs];
      forwardSeconds(lm, tokens, decode); // warm-up: the JIT compiles the kernels
      for (int r = 0; r < runs; r++) {
        seconds[r] = forwardSeconds(lm, tokens, decode);
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

  private static double forwardSeconds(CausalLm lm, int[] tokens, boolean decode) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    CausalLm.Sequence s = lm.start(tokens.length);
    double[] sink = new double[1];
    CausalLm.LogitRows rows = (i, logits) -> sink[0] += logits[i % logits.length];
    long t0 = threads.getCurrentThreadCpuTime();
    if (decode) {
      for (int i = 0; i < tokens.length; i++) {
        s.append(new int[] {tokens[i]}, 1, 0, rows);
      }
    } else {
      s.append(tokens, tokens.length, 0, rows);
    }
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

  /**
   * Gaussian weights (σ = 0.02, as initialisers use), RMSNorm weights 1, each generated when
   * the loader asks for it (seeded by its name): fromWeights packs every matrix into a copy, so
   * a map holding all of TinyLlama's 4.4 GB up front would need 8.8 GB at its peak.
   */
  static Map<String, float[]> randomWeights(ForwardShape f) {
    Map<String, Integer> gaussians = new HashMap<>();
    Map<String, Integer> ones = new HashMap<>();
    int kv = f.kvHeads * f.headDim();
    gaussians.put("model.embed_tokens.weight", f.vocab * f.hidden);
    for (int l = 0; l < f.layers; l++) {
      String p = "model.layers." + l + ".";
      ones.put(p + "input_layernorm.weight", f.hidden);
      gaussians.put(p + "self_attn.q_proj.weight", f.hidden * f.hidden);
      gaussians.put(p + "self_attn.k_proj.weight", kv * f.hidden);
      gaussians.put(p + "self_attn.v_proj.weight", kv * f.hidden);
      gaussians.put(p + "self_attn.o_proj.weight", f.hidden * f.hidden);
      ones.put(p + "post_attention_layernorm.weight", f.hidden);
      gaussians.put(p + "mlp.gate_proj.weight", f.intermediate * f.hidden);
      gaussians.put(p + "mlp.up_proj.weight", f.intermediate * f.hidden);
      gaussians.put(p + "mlp.down_proj.weight", f.hidden * f.intermediate);
    }
    ones.put("model.norm.weight", f.hidden);
    if (!f.tiedEmbeddings) {
      gaussians.put("lm_head.weight", f.vocab * f.hidden);
    }
    return new OnDemand(gaussians, ones);
  }

  /** Tensors built on each get; only containsKey and get are supported (all fromWeights uses). */
  private static final class OnDemand extends AbstractMap<String, float[]> {
    private final Map<String, Integer> gaussians;
    private final Map<String, Integer> ones;

    OnDemand(Map<String, Integer> gaussians, Map<String, Integer> ones) {
      this.gaussians = gaussians;
      this.ones = ones;
    }

    @Override
    public boolean containsKey(Object name) {
      return gaussians.containsKey(name) || ones.containsKey(name);
    }

    @Override
    public float[] get(Object name) {
      Integer n = gaussians.get(name);
      if (n != null) {
        return gaussian(new SplittableRandom(name.hashCode()), n);
      }
      n = ones.get(name);
      return n == null ? null : ones(n);
    }

    @Override
    public Set<Entry<String, float[]>> entrySet() {
      throw new UnsupportedOperationException("random weights are generated on demand");
    }
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
