package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Output must not depend on how a tensor is cut into chunks: chunk sizes 1, 7, 4096 and the whole
 * tensor give bit-identical floats (DELLA rounds sizes up to whole rows, its chunk alignment).
 */
class ChunkIndependenceTest {

  static List<MethodCases.Case> cases() {
    List<MethodCases.Case> all = MethodCases.all(7);
    // bf16-like data ties magnitudes at the top-k boundary, exercising the index passes.
    Random r = new Random(3);
    int n = MethodCases.ROWS * MethodCases.COLS;
    float[] b = TestData.bf16Like(r, n, 0.02);
    MergeRunner ties = MergeRunner.of("ties").base(b).shape(MethodCases.ROWS, MethodCases.COLS);
    for (int i = 0; i < 3; i++) {
      float[] x = b.clone();
      float[] d = TestData.bf16Like(r, n, 0.001);
      for (int j = 0; j < n; j++) {
        x[j] = TestData.roundToBf16(b[j] + d[j]);
      }
      ties.model(x, "weight", 1.0, "density", 0.35);
    }
    all.add(new MethodCases.Case("ties_bf16_ties", ties));
    // More models than TaskVectorStatistics.ONE_COPY_ABOVE: histograms in one copy per bucket.
    MergeRunner many = MergeRunner.of("ties").base(b).shape(MethodCases.ROWS, MethodCases.COLS);
    for (int i = 0; i <= TaskVectorStatistics.ONE_COPY_ABOVE; i++) {
      float[] x = b.clone();
      float[] d = TestData.bf16Like(r, n, 0.001);
      for (int j = 0; j < n; j++) {
        x[j] = TestData.roundToBf16(b[j] + d[j]);
      }
      many.model(x, "weight", 1.0 / (i + 1), "density", 0.2 + 0.05 * i);
    }
    all.add(new MethodCases.Case("ties_bf16_nine_models", many));
    return all;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void chunkSizesGiveIdenticalBits(MethodCases.Case c) {
    float[] whole = c.runner.run(Integer.MAX_VALUE);
    for (int size : new int[] {1, 7, 4096}) {
      float[] chunked = c.runner.run(size);
      assertArrayEquals(bits(whole), bits(chunked), c.label + " with chunk size " + size);
    }
  }

  @Test
  void everyRegisteredMethodHasACase() {
    List<String> covered = cases().stream().map(k -> k.runner.method).distinct()
        .sorted().collect(Collectors.toList());
    List<String> registered = MethodRegistry.names().stream().sorted()
        .collect(Collectors.toList());
    assertEquals(registered, covered);
  }

  static int[] bits(float[] f) {
    int[] b = new int[f.length];
    for (int i = 0; i < f.length; i++) {
      b[i] = Float.floatToRawIntBits(f[i]);
    }
    return b;
  }
}
