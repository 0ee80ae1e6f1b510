package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.TensorLocation;
import java.util.Collection;

/**
 * An input model as the planner sees it: where each of its tensors comes from, and its layer
 * structure. A plain checkpoint answers from its own files.
 */
class SourceModel {
  private final String label;
  private final HfModel checkpoint;
  private final ModelLayout layout;

  SourceModel(String label, HfModel checkpoint) {
    this(label, checkpoint, checkpoint.tensors().keySet());
  }

  /** @param tensorNames every tensor the model has (its layer structure is inferred from them) */
  SourceModel(String label, HfModel checkpoint, Collection<String> tensorNames) {
    this.label = label;
    this.checkpoint = checkpoint;
    this.layout = ModelLayout.of(label, tensorNames, checkpoint.config());
  }

  String label() {
    return label;
  }

  /** The checkpoint that supplies config.json and tokenizer files when this model is the donor. */
  HfModel checkpoint() {
    return checkpoint;
  }

  ModelLayout layout() {
    return layout;
  }

  /** The tensor as an input in its stored shape, or null when the model does not have it. */
  InputRef find(String name) {
    TensorLocation loc = checkpoint.find(name);
    return loc == null ? null
        : new InputRef(loc.file(), loc.dataStart(), loc.info(), loc.info().shape());
  }
}
