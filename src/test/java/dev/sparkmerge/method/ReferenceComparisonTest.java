package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every method against a float64 implementation written from the spec, on random 48 × 96 tensors
 * with exact, distinct-magnitude deltas. Tolerance 1e-6 absolute (values are below 2): the kernels
 * round to float32 a handful of times (weight × delta, rescale factor, final output), each at most
 * ulp(2)/2 = 1.2e-7.
 */
class ReferenceComparisonTest {

  static List<MethodCases.Case> cases() {
    return MethodCases.all(11);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesFloat64Reference(MethodCases.Case c) {
    float[] actual = c.runner.run();
    double[] expected = Reference64.merge(c.runner);
    int compared = 0;
    for (int j = 0; j < actual.length; j++) {
      if (Double.isNaN(expected[j])) {
        continue; // arcee_fusion: importance within rounding of the threshold, either side is right
      }
      assertEquals(expected[j], actual[j], 1e-6, c.label + " element " + j);
      compared++;
    }
    assertTrue(compared > actual.length * 0.99, c.label + ": compared only " + compared);
  }
}
