package dev.sparkmerge.checkpoint;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header: name, dtype, shape and its byte range relative to the
 * start of the data section. Validated: {@code end - begin} equals the shape's size in this dtype.
 */
public final class TensorInfo implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final DType dtype;
  private final long[] shape;
  private final long begin;
  private final long end;

  public TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape.clone();
    this.begin = begin;
    this.end = end;
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

  public int rank() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  /** Start of the tensor's bytes, relative to the data section. */
  public long begin() {
    return begin;
  }

  public long end() {
    return end;
  }

  public long byteLength() {
    return end - begin;
  }

  /** Number of elements; validation guarantees it does not overflow. The empty shape is 1. */
  public long numel() {
    return Shapes.numel(shape);
  }

  /** Elements in one row: the product of all dimensions but the first (1 for rank ≤ 1). */
  public long rowLength() {
    return Shapes.rowLength(shape);
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + shapeString() + " [" + begin + ", " + end + ")";
  }
}
