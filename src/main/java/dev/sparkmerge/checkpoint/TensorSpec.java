package dev.sparkmerge.checkpoint;

import java.io.Serializable;

/** A tensor to be written: name, dtype and shape (its bytes follow from them). */
public final class TensorSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final DType dtype;
  private final long[] shape;

  public TensorSpec(String name, DType dtype, long[] shape) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape.clone();
  }

  public String name() {
    return name;
  }

  public DType dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }
}
