package dev.sparkmerge.eval.model;

/**
 * Reads a model's tensors by their Hugging Face names into the forward pass's layout ({@link
 * LmWeights}), checking every shape against the config. Llama-family checkpoints name tensors
 * {@code model.layers.N...} (or without the {@code model.} prefix when saved from the bare
 * model); GPT-2 checkpoints {@code transformer.h.N...} or {@code h.N...}. GPT-2's Conv1D weights
 * are stored in × out and are transposed here, once, to nn.Linear's out × in.
 */
final class WeightLoader {
  private final LmConfig c;
  private final TensorSource src;

  private WeightLoader(LmConfig c, TensorSource src) {
    this.c = c;
    this.src = src;
  }

  static LmWeights load(LmConfig c, TensorSource src) {
    WeightLoader l = new WeightLoader(c, src);
    return c.isGpt2() ? l.gpt2() : l.llamaFamily();
  }

  /** Floats the loaded model holds, from the config alone (a tied head counted once). */
  static long floats(LmConfig c) {
    long h = c.hidden;
    long attention = h * c.attentionDim() * 2 + h * 2L * c.kvHeads * c.headDim;
    long mlp = (c.mlp == LmConfig.Mlp.GATED_SILU ? 3 : 2) * h * c.intermediate;
    long norms = c.norm == LmConfig.Norm.LAYER ? 4 * h : 2 * h;
    long biases = (c.qkvBias ? c.qkvDim() : 0) + (c.outBias ? h : 0)
        + (c.mlpBias ? (c.mlp == LmConfig.Mlp.GATED_SILU ? 2 : 1) * c.intermediate + h : 0);
    long perLayer = attention + mlp + norms + biases;
    long outside = (long) c.vocab * h * (c.tieEmbeddings ? 1 : 2)
        + (c.isGpt2() ? (long) c.contextLength * h : 0)
        + (c.norm == LmConfig.Norm.LAYER ? 2 * h : h);
    return perLayer * c.layers + outside;
  }

  private LmWeights llamaFamily() {
    String p = src.has("model.embed_tokens.weight") || !src.has("embed_tokens.weight")
        ? "model." : "";
    int h = c.hidden;
    int qDim = c.attentionDim();
    int kvDim = c.kvHeads * c.headDim;
    int inter = c.intermediate;
    float[] embed = src.read(p + "embed_tokens.weight", shape(c.vocab, h));
    LayerWeights[] layers = new LayerWeights[c.layers];
    for (int i = 0; i < c.layers; i++) {
      String l = p + "layers." + i + ".";
      LayerWeights w = new LayerWeights();
      w.norm1 = src.read(l + "input_layernorm.weight", shape(h));
      w.q = matrix(l + "self_attn.q_proj.weight", qDim, h);
      w.k = matrix(l + "self_attn.k_proj.weight", kvDim, h);
      w.v = matrix(l + "self_attn.v_proj.weight", kvDim, h);
      if (c.qkvBias) {
        w.qBias = src.read(l + "self_attn.q_proj.bias", shape(qDim));
        w.kBias = src.read(l + "self_attn.k_proj.bias", shape(kvDim));
        w.vBias = src.read(l + "self_attn.v_proj.bias", shape(kvDim));
      }
      w.out = matrix(l + "self_attn.o_proj.weight", h, qDim);
      if (c.outBias) {
        w.outBias = src.read(l + "self_attn.o_proj.bias", shape(h));
      }
      w.norm2 = src.read(l + "post_attention_layernorm.weight", shape(h));
      w.gate = matrix(l + "mlp.gate_proj.weight", inter, h);
      w.up = matrix(l + "mlp.up_proj.weight", inter, h);
      w.down = matrix(l + "mlp.down_proj.weight", h, inter);
      if (c.mlpBias) {
        // gate_proj's bias is added to the gate before SiLU: fold it into the MLP kernel's input.
        w.gateBias = src.read(l + "mlp.gate_proj.bias", shape(inter));
        w.upBias = src.read(l + "mlp.up_proj.bias", shape(inter));
        w.downBias = src.read(l + "mlp.down_proj.bias", shape(h));
      }
      layers[i] = w;
    }
    float[] norm = src.read(p + "norm.weight", shape(h));
    return weights(embed, null, layers, norm, null);
  }

  private LmWeights gpt2() {
    String p = src.has("transformer.wte.weight") || !src.has("wte.weight") ? "transformer." : "";
    int h = c.hidden;
    int inter = c.intermediate;
    float[] embed = src.read(p + "wte.weight", shape(c.vocab, h));
    float[] positions = src.read(p + "wpe.weight", shape(c.contextLength, h));
    LayerWeights[] layers = new LayerWeights[c.layers];
    for (int i = 0; i < c.layers; i++) {
      String l = p + "h." + i + ".";
      LayerWeights w = new LayerWeights();
      w.norm1 = src.read(l + "ln_1.weight", shape(h));
      w.norm1Bias = src.read(l + "ln_1.bias", shape(h));
      float[] qkv = transpose(src.read(l + "attn.c_attn.weight", shape(h, 3 * h)), h, 3 * h);
      float[] qkvBias = src.read(l + "attn.c_attn.bias", shape(3 * h));
      w.q = PackedMatrix.pack(slice(qkv, 0, h * h), h, h);
      w.k = PackedMatrix.pack(slice(qkv, h * h, h * h), h, h);
      w.v = PackedMatrix.pack(slice(qkv, 2 * h * h, h * h), h, h);
      w.qBias = slice(qkvBias, 0, h);
      w.kBias = slice(qkvBias, h, h);
      w.vBias = slice(qkvBias, 2 * h, h);
      w.out = conv1d(l + "attn.c_proj.weight", h, h);
      w.outBias = src.read(l + "attn.c_proj.bias", shape(h));
      w.norm2 = src.read(l + "ln_2.weight", shape(h));
      w.norm2Bias = src.read(l + "ln_2.bias", shape(h));
      w.up = conv1d(l + "mlp.c_fc.weight", h, inter);
      w.upBias = src.read(l + "mlp.c_fc.bias", shape(inter));
      w.down = conv1d(l + "mlp.c_proj.weight", inter, h);
      w.downBias = src.read(l + "mlp.c_proj.bias", shape(h));
      layers[i] = w;
    }
    float[] norm = src.read(p + "ln_f.weight", shape(h));
    float[] normBias = src.read(p + "ln_f.bias", shape(h));
    return weights(embed, positions, layers, norm, normBias);
  }

  /**
   * The LM head: the input embedding when the config ties them (transformers then ignores any
   * stored lm_head), unless an adapter saves its own lm_head (modules_to_save), which PEFT uses.
   * A tied embedding is held only as the packed head (see {@link LmWeights#embedRow}).
   */
  private LmWeights weights(float[] embed, float[] positions, LayerWeights[] layers,
      float[] norm, float[] normBias) {
    String name = "lm_head.weight";
    if (c.tieEmbeddings && !src.replacedByAdapter(name)) {
      PackedMatrix head = PackedMatrix.pack(embed, c.vocab, c.hidden);
      return new LmWeights(null, positions, layers, norm, normBias, head);
    }
    PackedMatrix head = matrix(name, c.vocab, c.hidden);
    return new LmWeights(embed, positions, layers, norm, normBias, head);
  }

  /**
   * An nn.Linear weight (out × in), packed as soon as it is read: the unpacked array (the
   * loader's own, or the caller's for {@link CausalLms#fromWeights}) is not kept, so loading
   * adds at most one matrix's transient copy.
   */
  private PackedMatrix matrix(String name, int out, int in) {
    return PackedMatrix.pack(src.read(name, shape(out, in)), out, in);
  }

  /** A GPT-2 Conv1D weight (stored in × out), transposed to nn.Linear's out × in and packed. */
  private PackedMatrix conv1d(String name, int in, int out) {
    return PackedMatrix.pack(transpose(src.read(name, shape(in, out)), in, out), out, in);
  }

  private static long[] shape(long... dims) {
    return dims;
  }

  /** rows × cols row-major → cols × rows row-major. */
  private static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int r = 0; r < rows; r++) {
      int ro = r * cols;
      for (int j = 0; j < cols; j++) {
        t[j * rows + r] = a[ro + j];
      }
    }
    return t;
  }

  private static float[] slice(float[] a, int from, int n) {
    float[] s = new float[n];
    System.arraycopy(a, from, s, 0, n);
    return s;
  }
}
