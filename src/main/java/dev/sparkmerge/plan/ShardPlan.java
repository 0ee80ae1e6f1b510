package dev.sparkmerge.plan;

import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One output file: its name, the tensors it holds in the order they are written, and the byte
 * layout (header included) fixed in advance, so any attempt on any executor writes the same bytes.
 */
public final class ShardPlan implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String fileName;
  private final List<TensorPlan> tensors;
  private final SafetensorsLayout layout;

  ShardPlan(String fileName, List<TensorPlan> tensors) {
    this.fileName = fileName;
    List<TensorSpec> specs = new ArrayList<>();
    Map<String, TensorPlan> byName = new HashMap<>();
    for (TensorPlan t : tensors) {
      specs.add(new TensorSpec(t.name(), t.outDtype(), t.shape()));
      byName.put(t.name(), t);
    }
    this.layout = SafetensorsLayout.of(specs, Map.of());
    List<TensorPlan> ordered = new ArrayList<>();
    for (TensorInfo info : layout.tensors()) {
      ordered.add(byName.get(info.name()));
    }
    this.tensors = List.copyOf(ordered);
  }

  public String fileName() {
    return fileName;
  }

  /** Tensors in file (data) order. */
  public List<TensorPlan> tensors() {
    return tensors;
  }

  public SafetensorsLayout layout() {
    return layout;
  }

  public long fileLength() {
    return layout.fileLength();
  }

  public long bytesRead() {
    long n = 0;
    for (TensorPlan t : tensors) {
      n += t.bytesRead();
    }
    return n;
  }
}
