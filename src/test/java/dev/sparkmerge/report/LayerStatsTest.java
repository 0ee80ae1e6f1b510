package dev.sparkmerge.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.report.ReportData.TensorRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerStatsTest {
  private static TensorRow row(String tensor, long numel, double l2, double changed,
      double conflicts, double[] cos, double[] inputL2) {
    return new TensorRow("m", tensor, numel, l2, changed, conflicts, cos, inputL2);
  }

  @Test
  void normsAddAsSquaresAndFractionsByElementCount() {
    LayerStats s = LayerStats.of(List.of(
        row("model.layers.0.a", 100, 3, 0.5, 0.1, new double[] {1.0}, null),
        row("model.layers.0.b", 300, 4, 0.1, 0.3, new double[] {0.0}, null),
        row("model.norm.weight", 10, 0, 0, 0, new double[] {Double.NaN}, null)));
    assertEquals(List.of("0", "norm"), s.groups());
    LayerStats.Group g = s.group("m", "0");
    assertEquals(5.0, g.deltaL2(), 1e-15);
    assertEquals((50 + 30) / 400.0, g.changedFraction(), 1e-15);
    assertEquals(1 - (10 + 90) / 400.0, g.signAgreement(), 1e-15);
    assertFalse(s.exactCosine());
    assertEquals(0.25, g.cosine()[0], 1e-15, "element-weighted mean of the tensor cosines");
    assertTrue(Double.isNaN(s.group("m", "norm").cosine()[0]), "no defined cosine");
  }

  @Test
  void cosinesAreExactWhenInputNormsAreRecorded() {
    // Tensor a: delta (3,0), input (1,1): cos = 3/(3·√2). Tensor b: delta (0,4), input (0,2).
    double s2 = Math.sqrt(2);
    LayerStats s = LayerStats.of(List.of(
        row("model.layers.0.a", 2, 3, 1, 0, new double[] {1 / s2}, new double[] {s2}),
        row("model.layers.0.b", 2, 4, 1, 0, new double[] {1.0}, new double[] {2})));
    assertTrue(s.exactCosine());
    LayerStats.Group g = s.group("m", "0");
    // Whole layer: delta (3,0,0,4), input (1,1,0,2): dot 3 + 8 = 11, norms 5 and √6.
    assertEquals(11 / (5 * Math.sqrt(6)), g.cosine()[0], 1e-15);
    assertArrayEquals(new double[] {Math.sqrt(6)}, g.inputL2(), 1e-15);
  }
}
