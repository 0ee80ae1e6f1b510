package dev.sparkmerge.bench.eval;

import java.util.List;

/**
 * The Llama-family model shapes the evaluator benchmarks use, with the matrix products of one
 * forward pass: per layer q, k, v, o, gate, up, down, and the LM head once.
 */
public enum ForwardShape {
  SMOLLM_135M("smollm-135m", 30, 576, 9, 3, 1536, 49152, true),
  TINYLLAMA_1_1B("tinyllama-1.1b", 22, 2048, 32, 4, 5632, 32000, false);

  /** One weight's product: y (rows × n) = x (rows × k) · wᵀ, {@code perForward} times a pass. */
  public record Gemm(String name, int k, int n, int perForward) {}

  public final String label;
  public final int layers;
  public final int hidden;
  public final int heads;
  public final int kvHeads;
  public final int intermediate;
  public final int vocab;
  public final boolean tiedEmbeddings;

  ForwardShape(String label, int layers, int hidden, int heads, int kvHeads, int intermediate,
      int vocab, boolean tiedEmbeddings) {
    this.label = label;
    this.layers = layers;
    this.hidden = hidden;
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.intermediate = intermediate;
    this.vocab = vocab;
    this.tiedEmbeddings = tiedEmbeddings;
  }

  public int headDim() {
    return hidden / heads;
  }

  /** The distinct products of one forward pass (k and v share a shape, as do gate and up). */
  public List<Gemm> gemms() {
    int kv = kvHeads * headDim();
    return List.of(
        new Gemm("q, o", hidden, hidden, 2 * layers),
        new Gemm("k, v", hidden, kv, 2 * layers),
        new Gemm("gate, up", hidden, intermediate, 2 * layers),
        new Gemm("down", intermediate, hidden, layers),
        new Gemm("lm_head", hidden, vocab, 1));
  }

  public static ForwardShape parse(String s) {
    for (ForwardShape f : values()) {
      if (f.label.equals(s) || f.label.startsWith(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown shape " + s + " (smollm-135m, tinyllama-1.1b)");
  }
}
