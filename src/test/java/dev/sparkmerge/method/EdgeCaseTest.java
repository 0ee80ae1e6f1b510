package dev.sparkmerge.method;

import static dev.sparkmerge.method.Golden.B;
import static dev.sparkmerge.method.Golden.X1;
import static dev.sparkmerge.method.Golden.X2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EdgeCaseTest {

  @Test
  void densityOneTrimsNothingAndNeedsNoStatistics() {
    MergeRunner ties = MergeRunner.of("ties").base(B).shape(1, 8)
        .model(X1, "weight", 1.0, "density", 1.0).model(X2, "weight", 0.5, "density", 1.0);
    assertNull(ties.kernel().initialStatistics());
    double[] expected = Reference64.taskVectors(ties, Reference64.toDouble(B),
        new double[][] {Reference64.toDouble(X1), Reference64.toDouble(X2)}, 1, 8);
    Golden.assertClose(expected, ties.run(), 1);
    // position 3: δ1 = −0.625 (w 1) against δ2 = 0.8125 (w 0.5): sum −0.21875 elects −, so only
    // model 1 counts and y = 0 − 0.625.
    assertEquals(-0.625f, ties.run()[3]);
  }

  @Test
  void densityKeepingNothingIsAClearError() {
    for (String method : List.of("ties", "breadcrumbs", "breadcrumbs_ties")) {
      MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of(method).base(B)
          .model(X1, "weight", 1.0, "density", 0.1).kernel());
      assertTrue(e.getMessage().contains("density 0.1 of model 0 keeps floor(0.1 × 8) = 0"),
          e.getMessage());
      assertTrue(e.getMessage().contains("at least 0.125"), e.getMessage());
    }
    for (String method : List.of("dare_ties", "dare_linear", "ties")) {
      MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of(method).base(B)
          .model(X1, "weight", 1.0, "density", 0.0).kernel());
      // Density is in (0, 1]: 0 is out of range before any tensor is looked at.
      assertTrue(e.getMessage().contains("'density' of model 0 is 0.0; allowed range is (0, 1]"),
          e.getMessage());
    }
  }

  @Test
  void colinearSlerpFallsBackToLerp() {
    float[] twice = new float[B.length];
    for (int i = 0; i < B.length; i++) {
      twice[i] = 2 * B[i];
    }
    float[] y = MergeRunner.of("slerp").base(B).model(twice).set("t", 0.25).run();
    for (int i = 0; i < B.length; i++) {
      assertEquals(0.75 * B[i] + 0.25 * twice[i], y[i], 1e-9);
    }
    // antipodal inputs too: |cos| > 0.9995
    float[] minus = new float[B.length];
    for (int i = 0; i < B.length; i++) {
      minus[i] = -B[i];
    }
    y = MergeRunner.of("slerp").base(B).model(minus).set("t", 0.5).run();
    assertArrayEquals(new float[B.length], y);
  }

  static List<MethodCases.Case> zeroCases() {
    List<MethodCases.Case> cases = MethodCases.all(1);
    for (MethodCases.Case c : cases) {
      MergeRunner r = c.runner;
      int n = r.models[0].length;
      if (r.base != null) {
        r.base = new float[n];
      }
      for (int i = 0; i < r.models.length; i++) {
        r.models[i] = new float[n];
      }
    }
    return cases;
  }

  /** All-zero inputs: every method returns zeros, except multislerp over 3 inputs (no direction). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("zeroCases")
  void zeroTensors(MethodCases.Case c) {
    if (c.label.equals("multislerp")) {
      MergeException e = assertThrows(MergeException.class, () -> c.runner.run());
      assertTrue(e.getMessage().contains("cancel out"), e.getMessage());
      return;
    }
    float[] y = c.runner.run(7);
    for (float v : y) {
      assertEquals(0f, v, c.label);
    }
  }

  @Test
  void singleModelPresent() {
    assertArrayEquals(X1, MergeRunner.of("linear").model(X1, "weight", 0.3).run());
    // TIES with one model: b + its top-4 delta (normalize divides w·δ by w)
    float[] y = MergeRunner.of("ties").base(B).model(X1, "weight", 0.5, "density", 0.5).run();
    assertArrayEquals(new float[] {1.0f, -0.25f, 0.375f, -0.625f, 0.5f, 0.375f, 0.0625f, 0.75f},
        y);
    assertArrayEquals(B, MergeRunner.of("slerp").base(B).set("t", 0.5).run());
    assertArrayEquals(B, MergeRunner.of("ties").base(B).run());
    assertArrayEquals(X1, MergeRunner.of("arcee_fusion").model(X1).run());
    assertFalse(MergeRunner.of("model_stock").base(B).model(X1).optional().kernel()
        .writesOutput());
    assertThrows(MergeException.class,
        () -> MergeRunner.of("model_stock").base(B).model(X1).kernel());
    assertArrayEquals(X1, MergeRunner.of("multislerp").base(B).model(X1, "weight", 1.0).run());
  }

  @Test
  void arityErrorsNameTheMethodAndTensor() {
    MergeException e = assertThrows(MergeException.class,
        () -> MergeRunner.of("slerp").base(B).model(X1).model(X2).set("t", 0.5).kernel());
    assertTrue(e.getMessage().contains("'slerp' expects exactly two models"), e.getMessage());
    assertTrue(e.getMessage().contains("model.layers.0.mlp.up_proj.weight"), e.getMessage());
    e = assertThrows(MergeException.class,
        () -> MergeRunner.of("passthrough").model(X1).model(X2).kernel());
    assertTrue(e.getMessage().contains("exactly one input"), e.getMessage());
    e = assertThrows(MergeException.class,
        () -> MergeRunner.of("ties").model(X1, "weight", 1.0).kernel());
    assertTrue(e.getMessage().contains("needs a base model"), e.getMessage());
    assertThrows(MergeException.class,
        () -> MergeRunner.of("nearswap").base(B).model(X1).model(X2).set("t", 0.1).kernel());
    assertThrows(MergeException.class,
        () -> MergeRunner.of("nuslerp").base(B).model(X1, "weight", 1.0).kernel());
  }

  static List<MethodCases.Case> poisonedCases() {
    List<MethodCases.Case> cases = MethodCases.all(2);
    for (MethodCases.Case c : cases) {
      c.runner.models[0] = c.runner.models[0].clone();
      c.runner.models[0][10] = Float.NaN;
      c.runner.models[0][20] = Float.POSITIVE_INFINITY;
    }
    return cases;
  }

  private static final List<String> ELEMENTWISE =
      List.of("linear", "task_arithmetic", "nearswap", "ram", "passthrough", "dare_linear_inverse_density");

  /**
   * NaN/inf inputs never crash a merge. Elementwise methods keep the damage at those positions;
   * methods with whole-tensor statistics (norms, L1 sums, importance quantiles) may spread it.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("poisonedCases")
  void nanAndInfinityDoNotCrash(MethodCases.Case c) {
    float[] y = c.runner.run(7);
    assertEquals(c.runner.models[0].length, y.length);
    if (ELEMENTWISE.contains(c.label)) {
      MethodCases.Case clean = MethodCases.all(2).stream().filter(k -> k.label.equals(c.label))
          .findFirst().orElseThrow();
      float[] ref = clean.runner.run();
      for (int j = 0; j < y.length; j++) {
        if (j != 10 && j != 20) {
          assertEquals(ref[j], y[j], c.label + " element " + j);
        }
      }
      assertTrue(Float.isNaN(y[10]) || c.label.equals("nearswap") || c.label.equals("ram")
          || (c.label.startsWith("dare") && droppedByMask(c, y[10])), c.label + " " + y[10]);
    }
    assertFalse(Arrays.equals(new float[y.length], y));
  }

  /**
   * True when element 10 of model 0 does not reach the output: the same merge with any other
   * value there gives the same result (DARE drops a NaN together with its element).
   */
  private static boolean droppedByMask(MethodCases.Case c, float merged) {
    float[] saved = c.runner.models[0];
    try {
      c.runner.models[0] = saved.clone();
      c.runner.models[0][10] = 12345f;
      return Float.floatToRawIntBits(c.runner.run(7)[10]) == Float.floatToRawIntBits(merged);
    } finally {
      c.runner.models[0] = saved;
    }
  }
}
