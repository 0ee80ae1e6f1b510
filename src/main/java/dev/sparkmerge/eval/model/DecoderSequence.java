package dev.sparkmerge.eval.model;

/**
 * One sequence through a {@link DecoderLm}: its key/value cache and the activation buffers of
 * the forward pass, all allocated once for the sequence's capacity. An append runs its tokens
 * through the layers in blocks of at most {@link #MAX_BLOCK_ROWS} rows, every linear layer one
 * matrix product over the block's rows ({@link MatMul}); appending in pieces gives the same
 * values as one append, since each row sees exactly the cached rows before it.
 */
final class DecoderSequence implements CausalLm.Sequence {
  /** Rows per block: large enough for efficient matrix products, small enough to bound memory. */
  static final int MAX_BLOCK_ROWS = 256;
  /** Rows per LM-head product: bounds its output buffer (rows × vocab) to about 16 MB. */
  private static final int HEAD_BUFFER_FLOATS = 4 << 20;
  private static final int MAX_HEAD_ROWS = 64;

  private final LmConfig c;
  private final LmWeights w;
  private final int capacity;
  private final int blockRows;
  private final int headRows;
  private final KvCache cache;
  private final Attention attention;
  private final Rope rope;
  /** Residual stream, then normalised input of each sub-layer, then sub-layer outputs. */
  private final float[] x;
  private final float[] h;
  private final float[] q;
  private final float[] k;
  private final float[] v;
  private final float[] att;
  /** MLP: gate (SiLU · up in place), or GPT-2's fc output. */
  private final float[] gate;
  private final float[] up;
  /** One row's exp terms of SiLU or GELU. */
  private final float[] scratch;
  private final float[] headIn;
  private final float[] headOut;
  private final float[] logits;
  private int length;

  DecoderSequence(LmConfig c, LmWeights w, int capacity) {
    this.c = c;
    this.w = w;
    this.capacity = capacity;
    this.blockRows = Math.min(capacity, MAX_BLOCK_ROWS);
    this.headRows = Math.max(1, Math.min(blockRows,
        Math.min(MAX_HEAD_ROWS, HEAD_BUFFER_FLOATS / c.vocab)));
    this.cache = new KvCache(c.layers, c.kvHeads, c.headDim, capacity);
    this.attention = new Attention(c.heads, c.kvHeads, c.headDim, capacity);
    this.rope = c.ropeInvFreq == null ? null : new Rope(c.ropeInvFreq, blockRows);
    int kvDim = c.kvHeads * c.headDim;
    this.x = new float[blockRows * c.hidden];
    this.h = new float[blockRows * c.hidden];
    this.q = new float[blockRows * c.attentionDim()];
    this.k = new float[blockRows * kvDim];
    this.v = new float[blockRows * kvDim];
    this.att = new float[blockRows * c.attentionDim()];
    this.gate = new float[blockRows * c.intermediate];
    this.up = c.mlp == LmConfig.Mlp.GATED_SILU ? new float[blockRows * c.intermediate] : null;
    this.scratch = new float[c.intermediate];
    this.headIn = new float[headRows * c.hidden];
    this.headOut = new float[headRows * c.vocab];
    this.logits = new float[c.vocab];
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public void append(int[] tokens, int count, int logitsFrom, CausalLm.LogitRows rows) {
    if (count < 0 || count > tokens.length) {
      throw new IllegalArgumentException("count " + count + " outside [0, " + tokens.length
          + "], the tokens given");
    }
    if (count > capacity - length) {
      throw new IllegalArgumentException("appending " + count + " tokens to a sequence of "
          + length + " exceeds its capacity " + capacity);
    }
    for (int i = 0; i < count; i++) {
      if (tokens[i] < 0 || tokens[i] >= c.vocab) {
        throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i
            + " outside [0, " + c.vocab + "), the model's vocabulary");
      }
    }
    for (int from = 0; from < count; from += blockRows) {
      int n = Math.min(blockRows, count - from);
      forward(tokens, from, n);
      head(from, n, logitsFrom, rows);
      length += n;
    }
  }

  /** Runs tokens[from .. from + n) (at positions length ..) through every layer into x. */
  private void forward(int[] tokens, int from, int n) {
    int hd = c.hidden;
    for (int r = 0; r < n; r++) {
      w.embedRow(tokens[from + r], x, r * hd);
      if (w.positions != null) {
        Kernels.axpy(1f, w.positions, (length + r) * hd, x, r * hd, hd);
      }
    }
    if (rope != null) {
      rope.prepare(length, n);
    }
    for (int l = 0; l < c.layers; l++) {
      LayerWeights lw = w.layers[l];
      attentionBlock(l, lw, n);
      mlpBlock(lw, n);
    }
  }

  private void attentionBlock(int layer, LayerWeights lw, int n) {
    int hd = c.hidden;
    int qDim = c.attentionDim();
    int kvDim = c.kvHeads * c.headDim;
    normalize(n, lw.norm1, lw.norm1Bias, x, 0, h, 0);
    linear(h, n, hd, lw.q, qDim, lw.qBias, q);
    linear(h, n, hd, lw.k, kvDim, lw.kBias, k);
    linear(h, n, hd, lw.v, kvDim, lw.vBias, v);
    if (rope != null) {
      rope.rotate(q, n, c.heads);
      rope.rotate(k, n, c.kvHeads);
    }
    cache.store(layer, k, v, n, length);
    attention.attend(q, n, length, cache, layer, c.scoreScale[layer], c.slidingWindow[layer],
        att);
    linear(att, n, qDim, lw.out, hd, lw.outBias, h);
    Kernels.add(x, h, n * hd);
  }

  private void mlpBlock(LayerWeights lw, int n) {
    int hd = c.hidden;
    int inter = c.intermediate;
    normalize(n, lw.norm2, lw.norm2Bias, x, 0, h, 0);
    if (lw.gate != null) {
      linear(h, n, hd, lw.gate, inter, lw.gateBias, gate);
      linear(h, n, hd, lw.up, inter, lw.upBias, up);
      for (int r = 0; r < n; r++) { // row by row: a row's bits never depend on the block
        Kernels.siluTimes(gate, up, r * inter, inter, scratch);
      }
    } else {
      linear(h, n, hd, lw.up, inter, lw.upBias, gate);
      for (int r = 0; r < n; r++) {
        Kernels.geluTanh(gate, r * inter, inter, scratch);
      }
    }
    linear(gate, n, inter, lw.down, hd, lw.downBias, h);
    Kernels.add(x, h, n * hd);
  }

  /**
   * The LM head for the block's rows whose append index (from + r) is at least logitsFrom: final
   * norm, then one matrix product per {@link #headRows} rows.
   */
  private void head(int from, int n, int logitsFrom, CausalLm.LogitRows rows) {
    int hd = c.hidden;
    int vocab = c.vocab;
    for (int r = Math.max(0, logitsFrom - from); r < n; r += headRows) {
      int m = Math.min(headRows, n - r);
      for (int i = 0; i < m; i++) {
        normalize(1, w.finalNorm, w.finalNormBias, x, (r + i) * hd, headIn, i * hd);
      }
      MatMul.multiplyTransposed(headIn, m, w.head, headOut);
      for (int i = 0; i < m; i++) {
        System.arraycopy(headOut, i * vocab, logits, 0, vocab);
        rows.row(from + r + i, logits);
      }
    }
  }

  /** y (rows × n) = x (rows × k) · wᵀ + bias. */
  private static void linear(float[] in, int rows, int k, PackedMatrix weight, int n,
      float[] bias, float[] y) {
    MatMul.multiplyTransposed(in, rows, weight, y);
    Kernels.addBias(y, rows, n, bias);
  }

  /** The config's norm of rows of src (from srcOff) into dst (from dstOff). */
  private void normalize(int rows, float[] weight, float[] bias, float[] src, int srcOff,
      float[] dst, int dstOff) {
    int hd = c.hidden;
    for (int r = 0; r < rows; r++) {
      if (c.norm == LmConfig.Norm.RMS) {
        Kernels.rmsNorm(src, srcOff + r * hd, weight, c.normEps, dst, dstOff + r * hd, hd);
      } else {
        Kernels.layerNorm(src, srcOff + r * hd, weight, bias, c.normEps, dst, dstOff + r * hd,
            hd);
      }
    }
  }

  @Override
  public String toString() {
    return c.modelType + " sequence, " + length + " of " + capacity + " tokens";
  }
}
