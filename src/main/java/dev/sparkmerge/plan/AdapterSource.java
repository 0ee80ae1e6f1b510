package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.lora.AdapterMapping;
import dev.sparkmerge.lora.LoraBiasTarget;
import dev.sparkmerge.lora.LoraTarget;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model given as {@code BASE+ADAPTER} (mergekit's syntax): the base checkpoint with a PEFT
 * adapter applied. Full tensors of the adapter ({@code modules_to_save} heads, saved embeddings)
 * replace the base's; LoRA updates are attached to the inputs and added chunk by chunk when read,
 * so the adapted model is never written out. Its task vector against BASE is exactly ΔW.
 */
final class AdapterSource extends SourceModel {
  private final AdapterMapping mapping;

  AdapterSource(String label, HfModel base, AdapterMapping mapping) {
    super(label, base, names(base, mapping));
    this.mapping = mapping;
  }

  private static Set<String> names(HfModel base, AdapterMapping mapping) {
    Set<String> names = new LinkedHashSet<>(base.tensors().keySet());
    names.addAll(mapping.addedTensors());
    return names;
  }

  @Override
  InputRef find(String name) {
    TensorLocation replaced = mapping.replacements().get(name);
    TensorLocation loc = replaced != null ? replaced : checkpoint().find(name);
    if (loc == null) {
      return null;
    }
    LoraTarget lora = mapping.targets().get(name);
    LoraBiasTarget bias = mapping.biasTargets().get(name);
    return new InputRef(loc.file(), loc.dataStart(), loc.info(), loc.info().shape(), lora, bias);
  }
}
