package dev.sparkmerge.config;

import java.io.Serializable;

/**
 * One input of a slice: a model, the layers taken from it, and its own parameters (in
 * {@code models:} syntax, the model entry's {@code parameters}).
 */
public final class SourceSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final ModelRef model;
  private final int[] layerRange;
  private final ParameterSet parameters;

  SourceSpec(ModelRef model, int[] layerRange, ParameterSet parameters) {
    this.model = model;
    this.layerRange = layerRange == null ? null : layerRange.clone();
    this.parameters = parameters;
  }

  public ModelRef model() {
    return model;
  }

  /**
   * {@code [start, end)} of the input layers, or null for the whole model ({@code models:}
   * syntax, where the layer count is only known once the model's headers are read).
   */
  public int[] layerRange() {
    return layerRange == null ? null : layerRange.clone();
  }

  public ParameterSet parameters() {
    return parameters;
  }

  String canonical() {
    return "{model:" + model.canonical() + ",layers:"
        + (layerRange == null ? "all" : layerRange[0] + "-" + layerRange[1]) + ",params:"
        + parameters.canonical() + "}";
  }

  @Override
  public String toString() {
    return model.display() + (layerRange == null ? "" : "[" + layerRange[0] + ", " + layerRange[1]
        + ")") + (parameters.isEmpty() ? "" : " " + parameters);
  }
}
