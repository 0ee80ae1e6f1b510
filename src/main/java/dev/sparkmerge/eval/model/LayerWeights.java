package dev.sparkmerge.eval.model;

/**
 * One transformer block's weights in the forward pass's layout: every matrix row-major in
 * nn.Linear orientation (out × in), as {@link MatMul} takes it. Biases, LayerNorm shifts and the
 * gate (GPT-2 has none) are null where the architecture has none.
 *
 * <p>Filled field by field by the loader, then never changed.
 *
 * <p>q, k and v (and gate and up) stay separate arrays rather than fused ones: then weights given
 * in memory are used as they are, without a second copy of most of the model.
 */
final class LayerWeights {
  float[] norm1;
  float[] norm1Bias;
  float[] q;
  float[] qBias;
  float[] k;
  float[] kBias;
  float[] v;
  float[] vBias;
  float[] out;
  float[] outBias;
  float[] norm2;
  float[] norm2Bias;
  /** SiLU-gated MLP's gate (intermediate × hidden), or null for GPT-2's plain MLP. */
  float[] gate;
  float[] gateBias;
  /** up_proj, or GPT-2's c_fc (intermediate × hidden). */
  float[] up;
  float[] upBias;
  float[] down;
  float[] downBias;

  long floats() {
    long n = 0;
    for (float[] a : new float[][] {norm1, norm1Bias, q, qBias, k, kBias, v, vBias, out, outBias,
        norm2, norm2Bias, gate, gateBias, up, upBias, down, downBias}) {
      n += a == null ? 0 : a.length;
    }
    return n;
  }
}
