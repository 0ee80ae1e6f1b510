package dev.sparkmerge.method;

/** The tensor is not written (model_stock with too few inputs for an optional weight). */
final class OmitKernel implements TensorKernel {
  private static final long serialVersionUID = 1L;

  @Override
  public Statistics initialStatistics() {
    return null;
  }

  @Override
  public boolean writesOutput() {
    return false;
  }

  @Override
  public void merge(Statistics stats, Chunk chunk, float[] out) {
    throw new IllegalStateException("this tensor is not written");
  }
}
