package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.List;

/** One output slice: the sources merged layer by layer, an optional base override, parameters. */
public final class SliceSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<SourceSpec> sources;
  private final ModelRef baseModel;
  private final ParameterSet parameters;

  SliceSpec(List<SourceSpec> sources, ModelRef baseModel, ParameterSet parameters) {
    this.sources = List.copyOf(sources);
    this.baseModel = baseModel;
    this.parameters = parameters;
  }

  public List<SourceSpec> sources() {
    return sources;
  }

  /** The slice's own {@code base_model}, overriding the top-level one for this slice, or null. */
  public ModelRef baseModel() {
    return baseModel;
  }

  public ParameterSet parameters() {
    return parameters;
  }

  /** Layers in this slice (every source has the same count), or -1 for whole-model sources. */
  public int length() {
    int[] r = sources.get(0).layerRange();
    return r == null ? -1 : r[1] - r[0];
  }

  String canonical() {
    StringBuilder sb = new StringBuilder("{base:");
    sb.append(baseModel == null ? "-" : baseModel.canonical());
    sb.append(",params:").append(parameters.canonical()).append(",sources:[");
    for (SourceSpec s : sources) {
      sb.append(s.canonical()).append(';');
    }
    return sb.append("]}").toString();
  }

  @Override
  public String toString() {
    return "slice" + sources + (baseModel == null ? "" : " base " + baseModel)
        + (parameters.isEmpty() ? "" : " " + parameters);
  }
}
