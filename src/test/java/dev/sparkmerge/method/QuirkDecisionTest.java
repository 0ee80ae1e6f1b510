package dev.sparkmerge.method;

import static dev.sparkmerge.method.Golden.B;
import static dev.sparkmerge.method.Golden.X1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pins our decision on each quirk of reference/mergekit.md §8 (see docs/methods.md). */
class QuirkDecisionTest {

  @Test
  void q1BreadcrumbsWithNoOutlierCountRemovesNoOutliers() {
    // gamma 0 and gamma 0.01 on 8 elements both give floor(gamma·n) = 0 outliers: same result as
    // keeping the top half by magnitude without sign election (mergekit returns the base).
    float[] a = MergeRunner.of("breadcrumbs").base(B)
        .model(X1, "weight", 1.0, "density", 0.5, "gamma", 0.0).run();
    float[] b = MergeRunner.of("breadcrumbs").base(B)
        .model(X1, "weight", 1.0, "density", 0.5).run();
    assertArrayEquals(a, b);
    assertArrayEquals(new float[] {1.0f, -0.25f, 0.375f, -0.625f, 0.5f, 0.375f, 0.0625f, 0.75f}, a);
  }

  @Test
  void q3DellaEpsilonLimitsAreClearErrorsAndSingleElementRowsWork() {
    for (double density : new double[] {0.1, 0.15, 0.85, 0.9}) {
      MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of("della")
          .base(B).model(X1, "weight", 1.0, "density", density).kernel());
      assertTrue(e.getMessage().contains("density ± epsilon must lie strictly between 0 and 1"),
          e.getMessage());
    }
    assertArrayEquals(X1, MergeRunner.of("della").base(B).model(X1, "weight", 1.0, "density", 1.0)
        .run());
    // rows of one element (shape 8 × 1): mergekit fails with 0/0; we keep with probability density.
    float[] y = MergeRunner.of("della_linear").base(B).shape(8, 1)
        .model(X1, "weight", 1.0, "density", 0.5).set("rescale", false).run(1);
    long stream = CounterRng.streamKey(42, "model.layers.0.mlp.up_proj.weight", 0);
    for (int j = 0; j < 8; j++) {
      boolean kept = CounterRng.keep(stream, j, CounterRng.keepThreshold(0.5));
      assertEquals(kept ? X1[j] : B[j], y[j], "element " + j);
    }
  }

  @Test
  void q4TiesBetweenEqualMagnitudesKeepTheLowestIndices() {
    float[] base = new float[10];
    float[] x = {0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f};
    float[] y = MergeRunner.of("ties").base(base).model(x, "weight", 1.0, "density", 0.5).run();
    assertArrayEquals(new float[] {0.5f, -0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 0, 0, 0}, y);
  }

  @Test
  void q5ArithmeticIsFloat32NotBf16() {
    // mergekit with dtype bfloat16 rounds 0.6 to 0.6015625 and gives 0.6015625 here.
    float[] y = MergeRunner.of("linear").model(new float[] {1f}, "weight", 0.6)
        .model(new float[] {0f}, "weight", 0.4).run();
    assertEquals(0.6f, y[0]);
    // a DARE density of 0.66 is not rounded to bf16's 0.66015625
    assertEquals((long) Math.ceil(0.66 * (1 << 24)), CounterRng.keepThreshold(0.66));
  }

  @Test
  void q6LinearZeroWeightSumIsAnErrorAndModelStockIsNotClamped() {
    MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of("linear")
        .model(X1, "weight", 0.5).model(B, "weight", -0.5).kernel());
    assertTrue(e.getMessage().contains("sum to 0.0"), e.getMessage());
    assertTrue(e.getMessage().contains("normalize: false"), e.getMessage());
    // without normalize a zero sum is fine
    MergeRunner.of("linear").model(X1, "weight", 0.5).model(B, "weight", -0.5)
        .set("normalize", false).run();
    // nearly opposite task vectors: c ≈ −0.995, t = 2c / (1 + c) ≈ −401, used as is
    float[] base = {0f, 0f};
    float[] y = MergeRunner.of("model_stock").base(base).model(new float[] {1f, 0f})
        .model(new float[] {-1f, 0.1f}).run();
    double c = -1 / Math.sqrt(1.01f * 1.0);
    double cos = (double) (-1f) / Math.sqrt(1.0 + (double) 0.1f * 0.1f);
    double t = 2 * cos / (1 + cos);
    assertTrue(t < -300, "t " + t + " c " + c);
    assertEquals((float) (t * 0.05f), y[1], Math.ulp((float) (t * 0.05f)) * 2);
  }

  @Test
  void q7KarcherHasNoWeightsTakesTheBaseAsAnInputAndDoesNotCrop() {
    MergeMethod karcher = MethodRegistry.get("karcher");
    assertNull(karcher.parameters().get("weight"));
    assertEquals(MergeMethod.BaseModelUse.ORDINARY_INPUT, karcher.baseModelUse());
    assertEquals(ShapeRule.STRICT, karcher.shapeRule());
  }

  @Test
  void q8ArceeFusionUsesExactQuantilesAboveOneMillionElements() {
    Random r = new Random(9);
    int rows = 1024;
    int cols = 1000;
    float[] b = TestData.base(r, rows * cols);
    float[] x = TestData.distinctDeltas(r, b);
    MergeRunner m = MergeRunner.of("arcee_fusion").base(b).model(x).shape(rows, cols);
    float[] y = m.run(1 << 16);
    double[] expected = Reference64.arceeFusion(Reference64.toDouble(b), Reference64.toDouble(x),
        cols);
    int mismatches = 0;
    for (int j = 0; j < y.length; j++) {
      if (!Double.isNaN(expected[j]) && expected[j] != y[j]) {
        mismatches++;
      }
    }
    assertEquals(0, mismatches);
    // and it is deterministic: no sampling
    assertArrayEquals(y, m.run(4096));
  }

  @Test
  void q9NuslerpRowWiseSlerpsColumnsAndUsesItsOwnColinearityRule() {
    // 2 × 2: columns of A are (1, 0) and (0, 1); of B are (0, 1) and (0, 1).
    float[] a = {1f, 0f, 0f, 1f};
    float[] b = {0f, 0f, 1f, 1f};
    float[] y = MergeRunner.of("nuslerp").shape(2, 2).model(a, "weight", 0.5)
        .model(b, "weight", 0.5).set("nuslerp_flatten", false).set("nuslerp_row_wise", true).run();
    float s = (float) Math.sqrt(0.5);
    // column 0 slerps (1,0)→(0,1) halfway; column 1 is identical in both → lerp
    assertArrayEquals(new float[] {s, 0f, s, 1f}, y, 1e-7f);
    // cos θ = 0.9996: slerp lerps (|cos| > 0.9995), nuslerp still slerps (sin θ ≥ 1e-8)
    double theta = Math.acos(0.9996);
    float[] u = {1f, 0f};
    float[] v = {(float) Math.cos(theta), (float) Math.sin(theta)};
    float[] lerp = MergeRunner.of("slerp").base(u).model(v).set("t", 0.5).run();
    float[] slerp = MergeRunner.of("nuslerp").model(u, "weight", 0.5).model(v, "weight", 0.5).run();
    assertEquals(0.5f * u[0] + 0.5f * v[0], lerp[0], 1e-7f);
    assertEquals(Math.cos(theta / 2), slerp[0], 1e-6);
    assertNotEquals(lerp[0], slerp[0]);
  }

  @Test
  void q16ZeroIsAValueNotMissing() {
    float[] y = MergeRunner.of("task_arithmetic").base(B).model(X1, "weight", 1.0)
        .set("lambda", 0.0).run();
    assertArrayEquals(B, y);
  }
}
