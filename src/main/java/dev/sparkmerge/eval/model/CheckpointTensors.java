package dev.sparkmerge.eval.model;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import dev.sparkmerge.eval.EvalException;
import dev.sparkmerge.lora.AdapterMapping;
import dev.sparkmerge.lora.DoraMerge;
import dev.sparkmerge.lora.DoraNorms;
import dev.sparkmerge.lora.LoraBiasDelta;
import dev.sparkmerge.lora.LoraBiasTarget;
import dev.sparkmerge.lora.LoraDelta;
import dev.sparkmerge.lora.LoraTarget;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;

/**
 * Tensors of a Hugging Face checkpoint decoded to float32 (any float dtype the codecs read),
 * optionally with a PEFT adapter applied as a {@code BASE+ADAPTER} merge input is: full tensors
 * of the adapter (modules_to_save) replace the base's, then W + ΔW for every LoRA module
 * ({@link LoraDelta}, already in the stored orientation), DoRA's rescaled W' ({@link DoraMerge}),
 * and lora_bias deltas ({@link LoraBiasDelta}). {@link #checkAllApplied()} refuses an adapter
 * that touches tensors the forward pass never read, whose effect would otherwise be lost.
 */
final class CheckpointTensors implements TensorSource, Closeable {
  /** Elements per read call: bounds the byte buffer whatever the tensor's size. */
  private static final int READ_ELEMENTS = 1 << 20;

  private final CheckpointFs fs;
  private final HfModel model;
  private final AdapterMapping adapter;
  private final Map<String, SafetensorsFile> open = new HashMap<>();
  private final Set<String> applied = new HashSet<>();
  private ByteBuffer scratch;

  /** @param adapter the adapter mapped onto {@code model}, or null */
  CheckpointTensors(CheckpointFs fs, HfModel model, AdapterMapping adapter) {
    this.fs = fs;
    this.model = model;
    this.adapter = adapter;
  }

  @Override
  public String describe() {
    return model.root().toString();
  }

  @Override
  public boolean has(String name) {
    return replacedByAdapter(name) || model.find(name) != null;
  }

  @Override
  public boolean replacedByAdapter(String name) {
    return adapter != null && adapter.replacements().containsKey(name);
  }

  @Override
  public float[] read(String name, long[] shape) {
    TensorLocation replaced = adapter == null ? null : adapter.replacements().get(name);
    TensorLocation loc = replaced != null ? replaced : model.find(name);
    if (loc == null) {
      throw new EvalException(describe() + ": the model has no tensor '" + name + "' (looked in "
          + String.join(", ", model.shards().keySet()) + "); the config asks for shape "
          + Arrays.toString(shape) + ".");
    }
    TensorInfo info = loc.info();
    if (!Arrays.equals(info.shape(), shape)) {
      throw new EvalException(describe() + ": tensor '" + name + "' in " + loc.file() + " has"
          + " shape " + info.shapeString() + "; config.json makes it " + Arrays.toString(shape)
          + ".");
    }
    if (!info.dtype().isFloatingPoint()) {
      throw new EvalException(describe() + ": tensor '" + name + "' in " + loc.file() + " has"
          + " dtype " + info.dtype() + "; the evaluator reads floating-point weights only.");
    }
    float[] values = decode(loc);
    if (adapter != null) {
      // Adapter targets are keyed by the base's stored tensor (a tied lm_head's is the embedding).
      applyAdapter(replaced != null ? name : info.name(), values);
    }
    return values;
  }

  private float[] decode(TensorLocation loc) {
    TensorInfo info = loc.info();
    if (info.numel() > Integer.MAX_VALUE - 8) {
      throw new EvalException(describe() + ": tensor '" + info.name() + "' has " + info.numel()
          + " elements, more than a Java array holds.");
    }
    SafetensorsFile f = open.computeIfAbsent(loc.file(),
        file -> SafetensorsFile.open(fs, new Path(file)));
    int n = (int) info.numel();
    float[] values = new float[n];
    for (int done = 0; done < n; done += READ_ELEMENTS) {
      int count = Math.min(READ_ELEMENTS, n - done);
      scratch = f.readFloats(info, done, values, done, count, scratch);
    }
    return values;
  }

  private void applyAdapter(String key, float[] values) {
    LoraTarget t = adapter.targets().get(key);
    if (t != null) {
      if (t.dora()) {
        DoraMerge dora = DoraMerge.load(t, fs);
        DoraNorms norms = dora.newNorms();
        dora.accumulate(0, values.length, values, norms);
        dora.merge(0, values.length, values, dora.factors(norms));
      } else {
        LoraDelta.load(t, fs).addTo(0, values.length, values);
      }
      applied.add("lora " + key);
    }
    LoraBiasTarget bias = adapter.biasTargets().get(key);
    if (bias != null) {
      LoraBiasDelta.load(bias, fs).addTo(0, values.length, values);
      applied.add("bias " + key);
    }
  }

  /**
   * Refuses an adapter with updates of tensors the forward pass did not read (they would be
   * silently dropped). Full tensors the adapter adds to the model (a classification head) are
   * not part of a causal LM and are ignored.
   */
  void checkAllApplied() {
    if (adapter == null) {
      return;
    }
    List<String> unused = new ArrayList<>();
    for (String k : adapter.targets().keySet()) {
      if (!applied.contains("lora " + k)) {
        unused.add(k);
      }
    }
    for (String k : adapter.biasTargets().keySet()) {
      if (!applied.contains("bias " + k)) {
        unused.add(k);
      }
    }
    if (!unused.isEmpty()) {
      throw new EvalException("Adapter " + adapter.adapterDir() + " updates tensors of "
          + describe() + " that the causal LM forward pass does not use: " + unused
          + ". It cannot be evaluated as a causal language model.");
    }
  }

  @Override
  public void close() {
    for (SafetensorsFile f : open.values()) {
      f.close();
    }
    open.clear();
  }
}
