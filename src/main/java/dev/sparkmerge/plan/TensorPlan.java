package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.method.MethodParameters;
import dev.sparkmerge.method.TensorKernel;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * Everything needed to produce one output tensor: its name, shape and dtype, the bound kernel
 * (method with resolved parameters), and where each input lives. A tensor whose inputs are not
 * floating point (position ids and the like) is copied from its first input instead of merged.
 */
public final class TensorPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Group for tensors before the layer stack (embeddings). */
  public static final int PRE_WEIGHTS = -1;
  /** Group for tensors after the layer stack (final norm, output head). */
  public static final int POST_WEIGHTS = Integer.MAX_VALUE;

  private final String name;
  private final long[] shape;
  private final DType outDtype;
  private final int group;
  private final double t;
  private final String method;
  private final MethodParameters parameters;
  private final TensorKernel kernel;
  private final InputRef base;
  private final List<InputRef> models;
  private final List<String> modelLabels;
  private final List<String> warnings;

  TensorPlan(String name, long[] shape, DType outDtype, int group, double t, String method,
      MethodParameters parameters, TensorKernel kernel, InputRef base, List<InputRef> models,
      List<String> modelLabels, List<String> warnings) {
    this.name = name;
    this.shape = shape.clone();
    this.outDtype = outDtype;
    this.group = group;
    this.t = t;
    this.method = method;
    this.parameters = parameters;
    this.kernel = kernel;
    this.base = base;
    this.models = List.copyOf(models);
    this.modelLabels = List.copyOf(modelLabels);
    this.warnings = List.copyOf(warnings);
  }

  public String name() {
    return name;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public DType outDtype() {
    return outDtype;
  }

  /** Output layer index, or {@link #PRE_WEIGHTS} / {@link #POST_WEIGHTS}. */
  public int group() {
    return group;
  }

  /** The gradient position t used to resolve this tensor's parameters. */
  public double t() {
    return t;
  }

  public String method() {
    return method;
  }

  public MethodParameters parameters() {
    return parameters;
  }

  /** The bound kernel, or null for a raw copy of the first input. */
  public TensorKernel kernel() {
    return kernel;
  }

  public boolean isRawCopy() {
    return kernel == null;
  }

  /** The base input, or null. */
  public InputRef base() {
    return base;
  }

  /** Non-base inputs in config order. */
  public List<InputRef> models() {
    return models;
  }

  /** The config's model references for {@link #models()}, for reports. */
  public List<String> modelLabels() {
    return modelLabels;
  }

  public List<String> warnings() {
    return warnings;
  }

  /** Bytes of input read to produce this tensor. */
  public long bytesRead() {
    long n = base == null ? 0 : base.bytesRead();
    for (InputRef m : models) {
      n += m.bytesRead();
    }
    return n;
  }

  public long bytesWritten() {
    return numel() * outDtype.byteSize();
  }

  @Override
  public String toString() {
    return name + " " + outDtype + Arrays.toString(shape);
  }
}
