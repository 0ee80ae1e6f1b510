package dev.sparkmerge.method;

/** Output = one input unchanged: the base (model index -1) or a model, as mergekit does when only one tensor is present. */
final class CopyKernel implements TensorKernel {
  private static final long serialVersionUID = 1L;
  static final int BASE = -1;

  private final int source;

  CopyKernel(int source) {
    this.source = source;
  }

  @Override
  public Statistics initialStatistics() {
    return null;
  }

  @Override
  public void merge(Statistics stats, Chunk chunk, float[] out) {
    float[] in = source == BASE ? chunk.base : chunk.models[source];
    System.arraycopy(in, 0, out, 0, chunk.length);
  }
}
