package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Grid candidates share statistics when their kernels' keys are equal, so the key must separate
 * everything the statistics depend on (density, seed, tensor, method) and nothing else (weights,
 * normalize, lambda only enter the merge).
 */
class StatisticsKeyTest {

  private static Object key(String method, String tensor, long seed, double[] weights,
      double[] densities, Map<String, Object> global) {
    List<Map<String, Object>> perModel = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      perModel.add(Map.of("weight", weights[i], "density", densities[i]));
    }
    TensorSpec spec = TensorSpec.of(tensor, new long[] {64, 32}, weights.length, true, seed);
    return MethodRegistry.get(method).bind(spec, new MethodParameters(global, perModel))
        .statisticsKey();
  }

  private static Object ties(double[] weights, double[] densities) {
    return key("ties", "w", 7, weights, densities, Map.of());
  }

  @Test
  void weightsNormalizeAndLambdaDoNotSeparateTiesStatistics() {
    Object a = ties(new double[] {1.0, 0.5}, new double[] {0.3, 0.3});
    assertEquals(a, ties(new double[] {0.2, 3.0}, new double[] {0.3, 0.3}));
    assertEquals(a, key("ties", "w", 7, new double[] {0.2, 3.0}, new double[] {0.3, 0.3},
        Map.of("normalize", false, "lambda", 0.5)));
  }

  @Test
  void densitySeedTensorAndRescaleDo() {
    Object a = ties(new double[] {1.0, 0.5}, new double[] {0.3, 0.3});
    assertNotEquals(a, ties(new double[] {1.0, 0.5}, new double[] {0.3, 0.5}));
    assertNotEquals(a, key("ties", "v", 7, new double[] {1.0, 0.5}, new double[] {0.3, 0.3},
        Map.of()));
    assertNotEquals(a, key("ties", "w", 7, new double[] {1.0, 0.5}, new double[] {0.3, 0.3},
        Map.of("rescale", true)));
    Object dare = key("dare_ties", "w", 7, new double[] {1.0, 0.5}, new double[] {0.3, 0.3},
        Map.of());
    assertEquals(dare, key("dare_ties", "w", 7, new double[] {2.0, 0.1},
        new double[] {0.3, 0.3}, Map.of()));
    assertNotEquals(dare, key("dare_ties", "w", 8, new double[] {1.0, 0.5},
        new double[] {0.3, 0.3}, Map.of()));
    assertNotEquals(a, dare);
  }

  @Test
  void kernelsWithoutTheRuleDoNotShare() {
    TensorKernel slerp = MethodRegistry.get("slerp").bind(
        TensorSpec.of("w", new long[] {64, 32}, 1, true, 7),
        new MethodParameters(Map.of("t", 0.5), List.of(Map.of())));
    assertNull(slerp.statisticsKey());
  }
}
