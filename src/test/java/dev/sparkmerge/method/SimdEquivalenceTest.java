package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Vector API loops give the scalar loops' bits (and the vector random masks the per-element
 * draws). A chunk of one element is shorter than a
 * vector, so merging chunk by chunk with size 1 runs only the scalar loops, while the whole tensor
 * runs the vector loops (and the scalar ones for the last few elements). Data with the values
 * where the two could part: signed zeros (sums of zeros keep or lose their sign), infinities, NaNs,
 * subnormals, magnitudes tied at the top-k threshold, opposite deltas that cancel in the vote.
 */
class SimdEquivalenceTest {
  private static final int N = 4099; // not a multiple of any vector length: a scalar tail too

  static List<MethodCases.Case> cases() {
    Random r = new Random(11);
    float[] b = awkward(r, null, true);
    float[][] x = {awkward(r, b, true), awkward(r, b, true), awkward(r, b, true)};
    // mergekit's L1 rescale turns a whole tensor to NaN when a delta is infinite or NaN.
    float[] fb = awkward(r, null, false);
    float[][] fx = {awkward(r, fb, false), awkward(r, fb, false), awkward(r, fb, false)};
    List<MethodCases.Case> cases = new ArrayList<>();
    cases.add(new MethodCases.Case("task_arithmetic", models("task_arithmetic", b, x, false)));
    cases.add(new MethodCases.Case("task_arithmetic_normalize_lambda",
        models("task_arithmetic", b, x, false).set("normalize", true).set("lambda", 0.7)));
    cases.add(new MethodCases.Case("ties", models("ties", b, x, true)));
    cases.add(new MethodCases.Case("ties_unnormalized_lambda",
        models("ties", b, x, true).set("normalize", false).set("lambda", 1.3)));
    cases.add(new MethodCases.Case("ties_l1_rescale",
        models("ties", fb, fx, true).set("rescale", true)));
    cases.add(new MethodCases.Case("dare_ties", models("dare_ties", fb, fx, true)));
    cases.add(new MethodCases.Case("dare_linear", models("dare_linear", fb, fx, true)));
    cases.add(new MethodCases.Case("dare_linear_inverse_density",
        models("dare_linear", b, x, true).set("rescale_method", "inverse_density")));
    return cases;
  }

  /** Three models with weights 1, 0.6, −0.4 and (when trimmed) densities 0.3, 0.5, 1 → NONE trim. */
  private static MergeRunner models(String method, float[] b, float[][] x, boolean trimmed) {
    MergeRunner m = MergeRunner.of(method).base(b).shape(N);
    double[] weights = {1.0, 0.6, -0.4};
    double[] densities = {0.3, 0.5, 1.0};
    for (int i = 0; i < 3; i++) {
      m = trimmed ? m.model(x[i], "weight", weights[i], "density", densities[i])
          : m.model(x[i], "weight", weights[i]);
    }
    return m;
  }

  /**
   * bf16-like values (many ties) with specials sprinkled in (infinities and NaN only when
   * nonFinite); models share the base's value, or its negation, often.
   */
  private static float[] awkward(Random r, float[] base, boolean nonFinite) {
    float[] specials = nonFinite
        ? new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, -3e-39f}
        : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f,
            -3e-39f};
    float[] v = new float[N];
    for (int j = 0; j < N; j++) {
      int pick = r.nextInt(100);
      if (pick < 4) {
        v[j] = specials[r.nextInt(specials.length)];
      } else if (base != null && pick < 20) {
        v[j] = base[j]; // delta 0 (or NaN for a NaN base)
      } else if (base != null && pick < 26) {
        v[j] = -base[j];
      } else {
        v[j] = TestData.roundToBf16((float) (r.nextGaussian() * 0.02));
      }
    }
    return v;
  }

  @Test
  void keepMasksMatchThePerElementDraws() {
    SimdTestSupport.requireVectorPath();
    long key = CounterRng.streamKey(7, "model.layers.3.self_attn.q_proj.weight", 2);
    for (long threshold : new long[] {0, 1, CounterRng.keepThreshold(0.3), 1L << 24}) {
      for (long start : new long[] {0, 1, 2, 63, 1L << 33}) {
        for (int n : new int[] {0, 1, 15, 16, 17, 100, 1000}) {
          int[] masks = new int[n];
          CounterRng.keepMasks(key, start, n, threshold, masks);
          for (int j = 0; j < n; j++) {
            int expected = CounterRng.keep(key, start + j, threshold) ? -1 : 0;
            assertEquals(expected, masks[j], "start " + start + " n " + n + " element " + j);
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void vectorLoopsGiveTheScalarLoopsBits(MethodCases.Case c) {
    SimdTestSupport.requireVectorPath();
    float[] vector = c.runner.run(Integer.MAX_VALUE);
    float[] scalar = c.runner.run(1);
    int nans = 0;
    for (int j = 0; j < N; j++) {
      if (Float.isNaN(scalar[j])) {
        nans++;
        assertTrue(Float.isNaN(vector[j]), c.label + " element " + j);
      } else {
        assertEquals(Float.floatToRawIntBits(scalar[j]), Float.floatToRawIntBits(vector[j]),
            c.label + " element " + j + ": scalar " + scalar[j] + ", vector " + vector[j]);
      }
    }
    assertTrue(nans < N / 2, c.label + ": NaNs do not drown the comparison (" + nans + ")");
  }
}
