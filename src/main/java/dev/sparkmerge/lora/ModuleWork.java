package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.LoraModule;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * One module of an adapter output, resolved on the driver so that any machine can combine it: its
 * shape, each adapter's factors (file and tensors) with that adapter's weight and per-model merge
 * parameters for this module, and the method's global parameters for it.
 */
public final class ModuleWork implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One adapter's part in the module. */
  static final class Part implements Serializable {
    private static final long serialVersionUID = 1L;

    final String file;
    final LoraModule module;
    final double weight;
    final Map<String, Object> params;

    Part(String file, LoraModule module, double weight, Map<String, Object> params) {
      this.file = file;
      this.module = module;
      this.weight = weight;
      this.params = params;
    }
  }

  final String module;
  final boolean embedding;
  final int in;
  final int out;
  final List<Part> parts;
  final Map<String, Object> global;

  ModuleWork(String module, boolean embedding, int in, int out, List<Part> parts,
      Map<String, Object> global) {
    this.module = module;
    this.embedding = embedding;
    this.in = in;
    this.out = out;
    this.parts = parts;
    this.global = global;
  }

  /** The module's path, e.g. {@code model.layers.0.self_attn.q_proj}. */
  public String module() {
    return module;
  }
}
