package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.lora.LoraBiasTarget;
import dev.sparkmerge.lora.LoraTarget;
import java.io.Serializable;
import java.util.Arrays;

/**
 * One input tensor of a merge as stored: file, data-section start and header entry; plus the shape
 * actually used, which is the stored shape or, for cropped embeddings, its top-left submatrix.
 * For a model given as {@code BASE+ADAPTER}, a LoRA update (ΔW = s·B·A, or s·b_B for a bias) is
 * added to the stored values chunk by chunk as they are read; the model is never materialised.
 */
public final class InputRef implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final long dataStart;
  private final TensorInfo stored;
  private final long[] usedShape;
  private final LoraTarget lora;
  private final LoraBiasTarget loraBias;

  public InputRef(String file, long dataStart, TensorInfo stored, long[] usedShape) {
    this(file, dataStart, stored, usedShape, null, null);
  }

  InputRef(String file, long dataStart, TensorInfo stored, long[] usedShape, LoraTarget lora,
      LoraBiasTarget loraBias) {
    this.file = file;
    this.dataStart = dataStart;
    this.stored = stored;
    this.usedShape = usedShape.clone();
    this.lora = lora;
    this.loraBias = loraBias;
  }

  /** The same input with another used shape (cropping). */
  InputRef withUsedShape(long[] shape) {
    return new InputRef(file, dataStart, stored, shape, lora, loraBias);
  }

  /** The LoRA weight update added to this input, or null. */
  public LoraTarget lora() {
    return lora;
  }

  /** The LoRA bias update (lora_bias) added to this input, or null. */
  public LoraBiasTarget loraBias() {
    return loraBias;
  }

  public String file() {
    return file;
  }

  public long dataStart() {
    return dataStart;
  }

  public TensorInfo stored() {
    return stored;
  }

  public long[] usedShape() {
    return usedShape.clone();
  }

  /** True when only the top-left submatrix of a larger 2-D tensor is used. */
  public boolean isCropped() {
    return !Arrays.equals(usedShape, stored.shape());
  }

  /** Bytes read from this input for the whole tensor. */
  public long bytesRead() {
    long n = 1;
    for (long d : usedShape) {
      n *= d;
    }
    return n * stored.dtype().byteSize();
  }

  /** Same file, same stored tensor bytes, same used shape, same LoRA update. */
  @Override
  public boolean equals(Object o) {
    return o instanceof InputRef && sameStored((InputRef) o)
        && java.util.Objects.equals(deltaKey(), ((InputRef) o).deltaKey());
  }

  /** Reads the same stored values (a LoRA update on top may differ). */
  public boolean sameStored(InputRef r) {
    return r != null && file.equals(r.file) && dataStart == r.dataStart
        && stored.name().equals(r.stored.name()) && stored.begin() == r.stored.begin()
        && stored.end() == r.stored.end() && Arrays.equals(usedShape, r.usedShape);
  }

  /** Identifies the added update (adapter file, module, scale), or null without one. */
  public String deltaKey() {
    if (lora != null) {
      return lora.adapterFile() + "#" + lora.modulePath() + "*" + lora.scale();
    }
    if (loraBias != null) {
      return loraBias.adapterFile() + "#" + loraBias.modulePath() + ".bias*" + loraBias.scale();
    }
    return null;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(file, dataStart, stored.name(), stored.begin(),
        Arrays.hashCode(usedShape));
  }

  @Override
  public String toString() {
    return stored.name() + " " + stored.dtype() + Arrays.toString(stored.shape())
        + (isCropped() ? " cropped to " + Arrays.toString(usedShape) : "") + " in " + file
        + (deltaKey() == null ? "" : " + LoRA " + deltaKey());
  }
}
