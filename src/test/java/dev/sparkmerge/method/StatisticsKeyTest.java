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

  private static Statistics statistics(String method, double density) {
    TensorSpec spec = TensorSpec.of("w", new long[] {64, 32}, 2, true, 7);
    List<Map<String, Object>> perModel = List.of(Map.of("weight", 1.0, "density", density),
        Map.of("weight", 0.5, "density", density));
    return MethodRegistry.get(method).bind(spec, new MethodParameters(Map.of(), perModel))
        .initialStatistics();
  }

  /**
   * The first top-k histogram does not depend on the density, so a grid's densities share it
   * (passKey); the passes after it do, and DARE's L1 pass is not shared that way.
   */
  @Test
  void onlyTheFirstSelectionPassIsSharedAcrossDensities() {
    Statistics low = statistics("ties", 0.3);
    Statistics high = statistics("ties", 0.7);
    assertEquals(low.passKey(), high.passKey());
    assertNotEquals(null, low.passKey());
    java.util.Random r = new java.util.Random(4);
    float[] b = new float[64 * 32];
    float[][] x = {new float[b.length], new float[b.length]};
    for (int j = 0; j < b.length; j++) {
      x[0][j] = (float) r.nextGaussian();
      x[1][j] = (float) r.nextGaussian();
    }
    Statistics p = high.newPartial();
    p.adoptPass(accumulated(low, b, x));
    Statistics q = accumulated(high, b, x);
    Statistics adopted = p.finishPass();
    Statistics own = q.finishPass();
    assertNull(own.passKey());
    while (!own.isComplete()) {
      own = accumulated(own, b, x).finishPass();
      adopted = accumulated(adopted, b, x).finishPass();
    }
    for (int i = 0; i < 2; i++) {
      TopKSelector mine = ((TaskVectorStatistics) own).selectors[i][0];
      TopKSelector theirs = ((TaskVectorStatistics) adopted).selectors[i][0];
      assertEquals(mine.threshold(), theirs.threshold());
      assertEquals(mine.lastKeptIndex(), theirs.lastKeptIndex());
    }
    assertNull(statistics("dare_ties", 0.3).passKey());
  }

  private static Statistics accumulated(Statistics s, float[] b, float[][] x) {
    Statistics p = s.newPartial();
    p.accumulate(new Chunk(0, b.length, b, x));
    return p;
  }
}
