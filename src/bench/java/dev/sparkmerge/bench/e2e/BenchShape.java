package dev.sparkmerge.bench.e2e;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.testutil.GeneratedModel;
import java.util.List;
import java.util.Locale;

/**
 * A Llama architecture shape for the end-to-end benchmark (bf16, untied lm_head). The tensor list
 * comes from the test generator {@link GeneratedModel}, so names and shapes are exactly what the
 * planner sees in the tests.
 */
final class BenchShape {
  final String name;
  final int vocab;
  final int hidden;
  final int intermediate;
  final int layers;
  final int heads;
  final int kvHeads;

  BenchShape(String name, int vocab, int hidden, int intermediate, int layers, int heads,
      int kvHeads) {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("shape name must be a plain file name: " + name);
    }
    this.name = name;
    this.vocab = vocab;
    this.hidden = hidden;
    this.intermediate = intermediate;
    this.layers = layers;
    this.heads = heads;
    this.kvHeads = kvHeads;
  }

  /**
   * A preset name or a custom spec {@code NAME:VOCAB,HIDDEN,INTERMEDIATE,LAYERS,HEADS,KV_HEADS}.
   * Presets: {@code tiny} (seconds; for checking the harness), {@code 1.1b} (TinyLlama-1.1B:
   * 32000, 2048, 5632, 22 layers, 32 heads, 4 KV heads) and {@code 7b-8l} (Llama-2-7B tensors,
   * 4096 / 11008 / 32 heads, with 8 of its 32 layers: 1.88 B parameters).
   */
  static BenchShape parse(String spec) {
    switch (spec.toLowerCase(Locale.ROOT)) {
      case "tiny":
        return new BenchShape("tiny", 1000, 256, 688, 4, 8, 2);
      case "1.1b":
      case "tinyllama":
        return new BenchShape("tinyllama-1.1b", 32000, 2048, 5632, 22, 32, 4);
      case "7b-8l":
        return new BenchShape("llama7b-8layers", 32000, 4096, 11008, 8, 32, 32);
      default:
        break;
    }
    int colon = spec.indexOf(':');
    String[] f = colon < 0 ? new String[0] : spec.substring(colon + 1).split(",");
    if (f.length != 6) {
      throw new IllegalArgumentException("unknown shape '" + spec + "': use tiny, 1.1b, 7b-8l or"
          + " NAME:VOCAB,HIDDEN,INTERMEDIATE,LAYERS,HEADS,KV_HEADS");
    }
    int[] v = new int[6];
    for (int i = 0; i < 6; i++) {
      v[i] = Integer.parseInt(f[i].trim());
    }
    return new BenchShape(spec.substring(0, colon), v[0], v[1], v[2], v[3], v[4], v[5]);
  }

  GeneratedModel layout() {
    return GeneratedModel.llama().vocab(vocab).hidden(hidden).intermediate(intermediate)
        .layers(layers).heads(heads, kvHeads).tied(false).dtype(DType.BF16);
  }

  /** Every tensor in Hugging Face module order. */
  List<TensorSpec> tensors() {
    return layout().tensors();
  }

  long parameters() {
    return layout().totalParameters();
  }

  long largestTensor() {
    long max = 0;
    for (TensorSpec s : tensors()) {
      long n = 1;
      for (long d : s.shape()) {
        n *= d;
      }
      max = Math.max(max, n);
    }
    return max;
  }

  /** Identifies the generated files: a change here regenerates the cached models. */
  String signature() {
    return "v3 " + name + " vocab=" + vocab + " hidden=" + hidden + " intermediate=" + intermediate
        + " layers=" + layers + " heads=" + heads + " kv=" + kvHeads + " bf16 untied";
  }

  @Override
  public String toString() {
    long p = parameters();
    String size = p >= 100_000_000 ? String.format(Locale.ROOT, "%.2f B", p / 1e9)
        : String.format(Locale.ROOT, "%.2f M", p / 1e6);
    return String.format(Locale.ROOT, "%s (%s params: vocab %d, hidden %d, intermediate %d,"
        + " %d layers, %d/%d heads)", name, size, vocab, hidden, intermediate, layers, heads,
        kvHeads);
  }
}
