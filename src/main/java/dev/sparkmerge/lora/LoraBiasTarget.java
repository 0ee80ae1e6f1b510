package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.TensorInfo;
import java.io.Serializable;

/**
 * A {@code lora_bias} delta: the base's {@code <module>.bias} becomes bias + s·b_B (reference
 * §3.3). Kept apart from {@link LoraTarget} because it modifies a different base tensor.
 */
public final class LoraBiasTarget implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String baseTensorName;
  private final long length;
  private final double scale;
  private final String adapterFile;
  private final long dataStart;
  private final TensorInfo biasB;
  private final String modulePath;

  LoraBiasTarget(String baseTensorName, long length, double scale, String adapterFile,
      long dataStart, TensorInfo biasB, String modulePath) {
    this.baseTensorName = baseTensorName;
    this.length = length;
    this.scale = scale;
    this.adapterFile = adapterFile;
    this.dataStart = dataStart;
    this.biasB = biasB;
    this.modulePath = modulePath;
  }

  /** The base bias tensor, e.g. {@code h.0.attn.c_attn.bias}. */
  public String baseTensorName() {
    return baseTensorName;
  }

  /** Elements of the bias (the module's out features). */
  public long length() {
    return length;
  }

  public double scale() {
    return scale;
  }

  public String adapterFile() {
    return adapterFile;
  }

  public long dataStart() {
    return dataStart;
  }

  /** The {@code lora_B.bias} tensor in the adapter file. */
  public TensorInfo biasB() {
    return biasB;
  }

  public String modulePath() {
    return modulePath;
  }
}
