package dev.sparkmerge.method;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test helper: binds a registered method to an in-memory tensor and merges it with a chunk size. */
final class MergeRunner {
  final String method;
  final Map<String, Object> global = new HashMap<>();
  final List<Map<String, Object>> perModel = new ArrayList<>();
  long[] shape;
  float[] base;
  float[][] models = new float[0][];
  long seed = 42;
  String tensorName = "model.layers.0.mlp.up_proj.weight";
  boolean optional;

  private MergeRunner(String method) {
    this.method = method;
  }

  static MergeRunner of(String method) {
    return new MergeRunner(method);
  }

  MergeRunner base(float[] b) {
    base = b;
    return this;
  }

  /** Adds a model with per-model parameters given as name, value pairs. */
  MergeRunner model(float[] x, Object... params) {
    models = java.util.Arrays.copyOf(models, models.length + 1);
    models[models.length - 1] = x;
    Map<String, Object> p = new HashMap<>();
    for (int i = 0; i < params.length; i += 2) {
      p.put((String) params[i], params[i + 1]);
    }
    perModel.add(p);
    return this;
  }

  MergeRunner set(String name, Object value) {
    global.put(name, value);
    return this;
  }

  MergeRunner shape(long... s) {
    shape = s;
    return this;
  }

  MergeRunner seed(long s) {
    seed = s;
    return this;
  }

  MergeRunner name(String n) {
    tensorName = n;
    return this;
  }

  MergeRunner optional() {
    optional = true;
    return this;
  }

  TensorSpec spec() {
    int numel = base != null ? base.length : models[0].length;
    long[] s = shape != null ? shape : new long[] {numel};
    return new TensorSpec(tensorName, s, models.length, base != null, optional, seed);
  }

  TensorKernel kernel() {
    return MethodRegistry.get(method).bind(spec(), new MethodParameters(global, perModel));
  }

  float[] run(int chunkSize) {
    return InMemoryMerge.run(kernel(), base, models, chunkSize);
  }

  float[] run() {
    return run(Integer.MAX_VALUE);
  }
}
