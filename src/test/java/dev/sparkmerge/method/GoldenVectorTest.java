package dev.sparkmerge.method;

import static dev.sparkmerge.method.Golden.B;
import static dev.sparkmerge.method.Golden.X1;
import static dev.sparkmerge.method.Golden.X2;
import static dev.sparkmerge.method.Golden.X3;
import static dev.sparkmerge.method.Golden.assertClose;

import org.junit.jupiter.api.Test;

/**
 * Every row of reference/mergekit.md §4 (outputs of mergekit's own functions in float32). Exact
 * arithmetic rows allow 1 ulp (our sums run in double and round once; mergekit rounds every step);
 * trigonometric rows allow 4 ulps (different but equally valid float32/double operation orders).
 */
class GoldenVectorTest {

  private static MergeRunner ties(double w2) {
    return MergeRunner.of("ties").base(B)
        .model(X1, "weight", 1.0, "density", 0.5)
        .model(X2, "weight", w2, "density", 0.5);
  }

  @Test
  void tiesNormalized() {
    assertClose(new double[] {1.0, 0.4375, 0.375, -0.625, 0.5, 0.375, 0.0625, 0.75},
        ties(0.5).run(), 1);
  }

  @Test
  void tiesWithoutNormalize() {
    assertClose(new double[] {1.0, 0.09375, 0.375, -0.625, 0.5, 0.375, 0.0625, 0.75},
        ties(0.5).set("normalize", false).run(), 1);
  }

  @Test
  void tiesCountConsensus() {
    assertClose(new double[] {1.0, 0.4375, 0.375, 0.8125, 0.5, 0.375, 0.0625, 0.75},
        ties(0.5).set("consensus_method", "count").run(), 1);
  }

  @Test
  void tiesEqualWeights() {
    assertClose(new double[] {1.0, 0.4375, 0.375, 0.8125, 0.5, 0.375, 0.0625, 0.75},
        ties(1.0).run(), 1);
  }

  @Test
  void tiesL1Rescale() {
    assertClose(new double[] {1.06960225, 0.5234375, 0.375, -0.67471594, 0.5, 0.43465912, 0.0625,
        0.78977275}, ties(0.5).set("rescale", true).run(), 2);
  }

  @Test
  void taskArithmeticLambda() {
    float[] y = MergeRunner.of("task_arithmetic").base(B).model(X1, "weight", 1.0)
        .model(X2, "weight", 0.5).set("lambda", 0.8).run();
    assertClose(new double[] {0.6, 0.125, 0.34375, -0.175, 0.48125, 0.05, 0.1, 0.5875}, y, 1);
  }

  @Test
  void taskArithmeticNormalized() {
    float[] y = MergeRunner.of("task_arithmetic").base(B).model(X1, "weight", 1.0)
        .model(X2, "weight", 0.5).set("normalize", true).run();
    assertClose(new double[] {0.52083337, 0.0625, 0.34895834, -0.14583333, 0.484375, -0.02083334,
        0.09375, 0.53125}, y, 1);
  }

  @Test
  void breadcrumbsGammaTwoTenths() {
    float[] y = MergeRunner.of("breadcrumbs").base(B)
        .model(X1, "weight", 1.0, "density", 0.5, "gamma", 0.2)
        .model(X2, "weight", 0.5, "density", 0.5, "gamma", 0.2).run();
    assertClose(new double[] {-0.15625, 0.21875, 0.375, -0.625, 0.5, 0.15625, 0.0625, 0.671875},
        y, 1);
  }

  @Test
  void linearNormalized() {
    float[] y = MergeRunner.of("linear").model(X1, "weight", 0.6).model(X2, "weight", 0.4).run();
    assertClose(new double[] {0.425, 0.1, 0.35625, -0.05, 0.4875, -0.1, 0.1, 0.4875}, y, 1);
  }

  @Test
  void slerpGolden() {
    float[] y = MergeRunner.of("slerp").base(B).model(X1).set("t", 0.3).run();
    assertClose(new double[] {0.46433988, -0.24189955, 0.40863466, -0.22892675, 0.56392348,
        -0.15681526, 0.07192122, 0.47082627}, y, 4);
  }

  @Test
  void slerpUnitAndScaledVectors() {
    assertClose(new double[] {0.70710677, 0.70710677},
        MergeRunner.of("slerp").base(new float[] {1, 0}).model(new float[] {0, 1}).set("t", 0.5)
            .run(), 1);
    assertClose(new double[] {1.41421354, 0.70710677},
        MergeRunner.of("slerp").base(new float[] {2, 0}).model(new float[] {0, 1}).set("t", 0.5)
            .run(), 1);
  }

  @Test
  void modelStockGolden() {
    float[] y = MergeRunner.of("model_stock").base(B).model(X1).model(X3).run();
    assertClose(new double[] {0.3952302, -0.25, 0.32433182, -0.1351151, 0.52533412, -0.13854857,
        0.04561061, 0.41889387}, y, 4);
  }

  @Test
  void breadcrumbsSmallGammaIsOurFixNotMergekitsZeroing() {
    // mergekit returns the base here (n_top = floor(0.01 × 8) = 0 empties its kept range). We
    // remove no outliers instead, so the result equals keeping the top floor(0.5 × 8) = 4 per model
    // without sign election: model 1 keeps positions 0, 3, 5, 7 and model 2 keeps 0, 1, 3, 5.
    float[] y = MergeRunner.of("breadcrumbs").base(B)
        .model(X1, "weight", 1.0, "density", 0.5)
        .model(X2, "weight", 0.5, "density", 0.5).run();
    assertClose(new double[] {0.125 + 0.875 - 0.28125, -0.25 + 0.34375, 0.375, 0.0 - 0.625 + 0.40625,
        0.5, -0.375 + 0.75 - 0.21875, 0.0625, 0.25 + 0.5}, y, 1);
  }

  @Test
  void nuslerpFlattenWithoutBaseEqualsSlerp() {
    float[] y = MergeRunner.of("nuslerp").model(B, "weight", 0.7).model(X1, "weight", 0.3).run();
    assertClose(new double[] {0.46433988, -0.24189955, 0.40863466, -0.22892675, 0.56392348,
        -0.15681526, 0.07192122, 0.47082627}, y, 4);
  }

  @Test
  void karcherGolden() {
    float[] y = MergeRunner.of("karcher").model(X1).model(X2).model(X3).run();
    assertClose(new double[] {0.39650872, -0.08740962, 0.50524473, 0.1949797, 0.86329651,
        -0.38747284, 0.1033689, 0.62278104}, y, 8);
  }

  @Test
  void multislerpWithoutBase() {
    float[] y = MergeRunner.of("multislerp").model(X1, "weight", 1.0).model(X2, "weight", 1.0)
        .model(X3, "weight", 2.0).run();
    assertClose(new double[] {0.36322972, -0.24183795, 0.42147279, 0.17204852, 0.82015795,
        -0.34862438, 0.06025092, 0.55594587}, y, 4);
  }

  @Test
  void multislerpWithBase() {
    float[] y = MergeRunner.of("multislerp").base(B).model(X1, "weight", 1.0)
        .model(X2, "weight", 1.0).run();
    assertClose(new double[] {0.46403241, 0.87989163, 0.36021471, 0.33628851, 0.48160416,
        -0.02152517, 0.19453853, 0.67637217}, y, 4);
  }

  @Test
  void nearswapGolden() {
    float[] y = MergeRunner.of("nearswap").base(B).model(X1).set("t", 0.1).run();
    assertClose(new double[] {0.225, -0.15, 0.3125, -0.1, 0.46875, -0.275, 0.0625, 0.35}, y, 1);
  }

  @Test
  void sceAllPositions() {
    float[] y = MergeRunner.of("sce").base(B).model(X1).model(X2).model(X3)
        .set("select_topk", 1.0).run();
    assertClose(new double[] {0.95959127, 0.13223493, 0.30913261, 0.76898026, 0.52254862, 0.341326,
        0.15625, 0.72979563}, y, 2);
  }

  @Test
  void sceHalfOfPositions() {
    float[] y = MergeRunner.of("sce").base(B).model(X1).model(X2).model(X3)
        .set("select_topk", 0.5).run();
    assertClose(new double[] {0.97391307, 0.1484375, 0.375, 0.78727067, 0.5, 0.35326087, 0.0625,
        0.25}, y, 2);
  }

  private static final double[] RAM =
      {0.28125, 0.15625, 0.3671875, 0.09375, 0.4921875, -0.21875, 0.15625, 0.421875};

  @Test
  void ramGolden() {
    assertClose(RAM, MergeRunner.of("ram").base(B).model(X1).model(X2).run(), 1);
  }

  @Test
  void ramplusDefaultsAmplifyOnlyTheUniquePosition() {
    double[] expected = RAM.clone();
    expected[6] = 0.158125;
    assertClose(expected, MergeRunner.of("ramplus_tl").base(B).model(X1).model(X2).run(), 1);
  }

  @Test
  void ramplusStrongerSettings() {
    double[] expected = RAM.clone();
    expected[6] = 0.203125;
    assertClose(expected, MergeRunner.of("ramplus_tl").base(B).model(X1).model(X2)
        .set("r", 0.5).set("alpha", 1.0).run(), 1);
  }
}
