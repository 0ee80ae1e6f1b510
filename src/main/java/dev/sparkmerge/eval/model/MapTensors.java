package dev.sparkmerge.eval.model;

import dev.sparkmerge.eval.EvalException;
import java.util.Arrays;
import java.util.Map;

/**
 * Tensors given in memory, by Hugging Face name, row-major in their stored shape. The arrays are
 * used as they are, not copied (a benchmark's billion random weights are held once), so the
 * caller must not change them afterwards. Only the element count can be checked against the
 * expected shape.
 */
final class MapTensors implements TensorSource {
  private final Map<String, float[]> weights;

  MapTensors(Map<String, float[]> weights) {
    this.weights = weights;
  }

  @Override
  public String describe() {
    return "weights given in memory";
  }

  @Override
  public boolean has(String name) {
    return weights.containsKey(name);
  }

  @Override
  public boolean replacedByAdapter(String name) {
    return false;
  }

  @Override
  public float[] read(String name, long[] shape) {
    float[] a = weights.get(name);
    long numel = 1;
    for (long d : shape) {
      numel *= d;
    }
    if (a == null) {
      throw new EvalException(describe() + ": no tensor '" + name + "' (expected shape "
          + Arrays.toString(shape) + ").");
    }
    if (a.length != numel) {
      throw new EvalException(describe() + ": tensor '" + name + "' has " + a.length
          + " values; expected shape " + Arrays.toString(shape) + " (" + numel + " values).");
    }
    return a;
  }
}
