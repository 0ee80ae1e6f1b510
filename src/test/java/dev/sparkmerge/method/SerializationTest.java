package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spark ships kernels, broadcast statistics and partials with Java serialization: a merge whose
 * every object crosses a serialization boundary (kernel, state of each pass, every partial) must
 * give the same bits as an in-memory merge.
 */
class SerializationTest {

  static List<MethodCases.Case> cases() {
    return MethodCases.all(5);
  }

  @SuppressWarnings("unchecked")
  static <T> T roundTrip(T o) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(o);
      }
      try (ObjectInputStream in =
          new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        return (T) in.readObject();
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyObjectSurvivesSerialization(MethodCases.Case c) {
    MergeRunner r = c.runner;
    TensorKernel kernel = roundTrip(r.kernel());
    int numel = r.models[0].length;
    int step = (int) Math.max(kernel.chunkAlignment(), 1000 / kernel.chunkAlignment()
        * kernel.chunkAlignment());
    Statistics stats = kernel.initialStatistics();
    while (stats != null && !stats.isComplete()) {
      Statistics broadcast = roundTrip(stats);
      Statistics total = null;
      for (int start = 0; start < numel; start += step) {
        Statistics partial = broadcast.newPartial();
        partial.accumulate(slice(r, start, Math.min(step, numel - start)));
        partial = roundTrip(partial);
        if (total == null) {
          total = partial;
        } else {
          total.combine(partial);
        }
      }
      stats = total.finishPass();
    }
    Statistics finalStats = roundTrip(stats);
    float[] y = new float[numel];
    float[] out = new float[step];
    for (int start = 0; start < numel; start += step) {
      int n = Math.min(step, numel - start);
      roundTrip(kernel).merge(finalStats, slice(r, start, n), out);
      System.arraycopy(out, 0, y, start, n);
    }
    assertArrayEquals(ChunkIndependenceTest.bits(r.run()), ChunkIndependenceTest.bits(y),
        c.label);
  }

  private static Chunk slice(MergeRunner r, int start, int n) {
    float[] b = r.base == null ? null : java.util.Arrays.copyOfRange(r.base, start, start + n);
    float[][] m = new float[r.models.length][];
    for (int i = 0; i < m.length; i++) {
      m[i] = java.util.Arrays.copyOfRange(r.models[i], start, start + n);
    }
    return new Chunk(start, n, b, m);
  }
}
