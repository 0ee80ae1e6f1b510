package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** DARE and DELLA masks: keep rates, L1 preservation, and determinism from the counter-based generator. */
class RandomMaskTest {
  private static final int N = 100_000;

  private static float[] zeros() {
    return new float[N];
  }

  /** Nonzero deltas against a zero base, so "kept" means "output nonzero". */
  private static float[] deltas(long seed) {
    Random r = new Random(seed);
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = (float) (r.nextGaussian() * 0.01);
      if (x[i] == 0) {
        x[i] = 1e-3f;
      }
    }
    return x;
  }

  private static MergeRunner dare(String method, float[] x, double density) {
    return MergeRunner.of(method).base(zeros()).model(x, "weight", 1.0, "density", density);
  }

  private static int nonzero(float[] y) {
    int n = 0;
    for (float v : y) {
      n += v != 0 ? 1 : 0;
    }
    return n;
  }

  @Test
  void keepFractionIsWithinFiveSigmaOfDensity() {
    for (double p : new double[] {0.1, 0.3, 0.66, 0.9}) {
      int kept = nonzero(dare("dare_linear", deltas(1), p).run());
      double sd = Math.sqrt(N * p * (1 - p));
      assertEquals(N * p, kept, 5 * sd, "density " + p);
    }
  }

  @Test
  void l1RescaleRestoresTheL1NormExactlyUpToFloatRounding() {
    float[] x = deltas(2);
    float[] y = dare("dare_linear", x, 0.3).run();
    double before = 0;
    double after = 0;
    for (int i = 0; i < N; i++) {
      before += Math.abs(x[i]);
      after += Math.abs(y[i]);
    }
    // Each kept value is x·(a/a′) rounded once to float32: relative error ≤ 2^-24 per element.
    assertEquals(before, after, before * 1e-6);
    // and the factor is not 1/density (mergekit's L1 matching).
    int i = firstNonzero(y);
    assertTrue(Math.abs(y[i] / x[i] - 1 / 0.3) > 1e-4);
  }

  @Test
  void inverseDensityRescaleDividesByDensity() {
    float[] x = deltas(3);
    float[] y = dare("dare_linear", x, 0.25).set("rescale_method", "inverse_density").run();
    for (int i = 0; i < N; i++) {
      assertTrue(y[i] == 0 || y[i] == x[i] / 0.25f, "element " + i);
    }
  }

  private static int firstNonzero(float[] y) {
    for (int i = 0; i < y.length; i++) {
      if (y[i] != 0) {
        return i;
      }
    }
    throw new AssertionError("all zero");
  }

  @Test
  void sameSeedSameOutputDifferentSeedDifferentMask() {
    float[] x = deltas(4);
    float[] a = dare("dare_ties", x, 0.5).seed(1).run();
    float[] b = dare("dare_ties", x, 0.5).seed(1).run();
    float[] c = dare("dare_ties", x, 0.5).seed(2).run();
    float[] d = dare("dare_ties", x, 0.5).seed(1).name("model.layers.1.mlp.up_proj.weight").run();
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(mask(a), mask(c)), "seed changes the mask");
    assertFalse(Arrays.equals(mask(a), mask(d)), "tensor name changes the mask");
    // two seeds' masks are independent: they agree on about half the positions
    int agree = 0;
    boolean[] ma = mask(a);
    boolean[] mc = mask(c);
    for (int i = 0; i < N; i++) {
      agree += ma[i] == mc[i] ? 1 : 0;
    }
    assertEquals(N / 2.0, agree, 5 * Math.sqrt(N * 0.25));
  }

  @Test
  void modelsInOneTensorGetIndependentMasks() {
    float[] x = deltas(5);
    TensorKernel k = MergeRunner.of("dare_linear").base(zeros())
        .model(x, "weight", 1.0, "density", 0.5).model(x, "weight", 1.0, "density", 0.5)
        .set("rescale", false).kernel();
    long s0 = CounterRng.streamKey(42, "model.layers.0.mlp.up_proj.weight", 0);
    long s1 = CounterRng.streamKey(42, "model.layers.0.mlp.up_proj.weight", 1);
    int agree = 0;
    long t = CounterRng.keepThreshold(0.5);
    for (int i = 0; i < N; i++) {
      agree += CounterRng.keep(s0, i, t) == CounterRng.keep(s1, i, t) ? 1 : 0;
    }
    assertEquals(N / 2.0, agree, 5 * Math.sqrt(N * 0.25));
    assertTrue(k.initialStatistics() == null, "no rescale, no statistics: a one-pass merge");
  }

  private static boolean[] mask(float[] y) {
    boolean[] m = new boolean[y.length];
    for (int i = 0; i < y.length; i++) {
      m[i] = y[i] != 0;
    }
    return m;
  }

  @Test
  void densityOneIsTaskArithmetic() {
    float[] x = deltas(6);
    float[] base = deltas(7);
    float[] dare = MergeRunner.of("dare_linear").base(base).model(x, "weight", 0.7, "density", 1.0)
        .run();
    float[] ta = MergeRunner.of("task_arithmetic").base(base).model(x, "weight", 0.7).run();
    assertArrayEquals(ta, dare);
  }

  @Test
  void dellaKeepRateFollowsTheRankSchedule() {
    // 100 rows of 1000: the smallest-magnitude tenth of each row keeps at about density − ε·0.9,
    // the largest tenth at about density + ε·0.9.
    int rows = 100;
    int cols = 1000;
    float[] x = deltas(8);
    float[] y = MergeRunner.of("della_linear").base(zeros()).shape(rows, cols)
        .model(x, "weight", 1.0, "density", 0.5, "epsilon", 0.4).set("rescale", false).run();
    int lowKept = 0;
    int highKept = 0;
    for (int r = 0; r < rows; r++) {
      Integer[] idx = new Integer[cols];
      for (int c = 0; c < cols; c++) {
        idx[c] = r * cols + c;
      }
      Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(x[a]), Math.abs(x[b])));
      for (int c = 0; c < 100; c++) {
        lowKept += y[idx[c]] != 0 ? 1 : 0;
        highKept += y[idx[cols - 1 - c]] != 0 ? 1 : 0;
      }
    }
    // expected means 0.1 + 0.8·0.0495 ≈ 0.1396 and 0.8604 of 10 000 draws; sd ≤ 50
    assertEquals(1396, lowKept, 250);
    assertEquals(8604, highKept, 250);
  }
}
