package dev.sparkmerge.eval.model;

/**
 * One transformer block's weights in the forward pass's layout: every matrix in nn.Linear
 * orientation (out × in), packed for {@link MatMul} once at load ({@link PackedMatrix}). Biases,
 * LayerNorm shifts and the gate (GPT-2 has none) are null where the architecture has none.
 *
 * <p>Filled field by field by the loader, then never changed.
 *
 * <p>q, k and v (and gate and up) stay separate matrices rather than fused ones: each is packed
 * on its own, so loading never holds more than one matrix's transient copy.
 */
final class LayerWeights {
  float[] norm1;
  float[] norm1Bias;
  PackedMatrix q;
  float[] qBias;
  PackedMatrix k;
  float[] kBias;
  PackedMatrix v;
  float[] vBias;
  PackedMatrix out;
  float[] outBias;
  float[] norm2;
  float[] norm2Bias;
  /** SiLU-gated MLP's gate (intermediate × hidden), or null for GPT-2's plain MLP. */
  PackedMatrix gate;
  float[] gateBias;
  /** up_proj, or GPT-2's c_fc (intermediate × hidden). */
  PackedMatrix up;
  float[] upBias;
  PackedMatrix down;
  float[] downBias;

  /** Values held, as stored in the checkpoint (a packed matrix's padding not counted). */
  long floats() {
    long n = 0;
    for (float[] a : new float[][] {norm1, norm1Bias, qBias, kBias, vBias, outBias, norm2,
        norm2Bias, gateBias, upBias, downBias}) {
      n += a == null ? 0 : a.length;
    }
    for (PackedMatrix m : new PackedMatrix[] {q, k, v, out, gate, up, down}) {
      n += m == null ? 0 : m.floats();
    }
    return n;
  }
}
