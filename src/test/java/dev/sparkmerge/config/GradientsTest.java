package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** reference/mergekit.md §2.4, the values verified against mergekit. */
class GradientsTest {
  private static final double[] T = {0, 0.5, 0.3, 0.7, 1};

  private static double at(int layer, int sliceLength, double... anchors) {
    return Gradients.evaluate(anchors, Gradients.t(layer, sliceLength));
  }

  @Test
  void fortyLayersFiveAnchors() {
    // Worked by hand: layer k has s = 4k/39; e.g. layer 10: s = 40/39, between anchors 1 and 2
    // with f = 1/39, so (38/39)·0.5 + (1/39)·0.3 = 19.3/39.
    assertEquals(0.0, at(0, 40, T), 0);
    assertEquals(19.3 / 39, at(10, 40, T), 1e-15);
    assertEquals(12.5 / 39, at(20, 40, T), 1e-15);
    assertEquals(28.2 / 39, at(30, 40, T), 1e-15);
    assertEquals(1.0, at(39, 40, T), 0);
    // The digits mergekit printed.
    assertEquals(0.49487179, at(10, 40, T), 5e-9);
    assertEquals(0.32051282, at(20, 40, T), 5e-9);
    assertEquals(0.72307692, at(30, 40, T), 5e-9);
  }

  @Test
  void fourLayersTwoAnchors() {
    assertEquals(0.0, at(0, 4, 0, 1), 0);
    assertEquals(1.0 / 3, at(1, 4, 0, 1), 1e-16);
    assertEquals(2.0 / 3, at(2, 4, 0, 1), 1e-16);
    assertEquals(1.0, at(3, 4, 0, 1), 0);
  }

  @Test
  void positions() {
    assertEquals(0.0, Gradients.t(0, 5), 0);
    assertEquals(0.25, Gradients.t(1, 5), 0);
    assertEquals(1.0, Gradients.t(4, 5), 0);
    assertEquals(1.0, Gradients.t(0, 1), 0); // a one-layer slice sits at t = 1
    assertThrows(IllegalArgumentException.class, () -> Gradients.t(5, 5));
  }

  @Test
  void embeddingsTakeTheFirstAnchorAndConstantsAreConstant() {
    assertEquals(0.0, Gradients.evaluate(T, 0.0), 0);
    assertEquals(0.7, Gradients.evaluate(new double[] {0.7}, 0.3), 0);
    assertEquals(0.5, Gradients.evaluate(new double[] {1, 0}, 0.5), 0);
  }
}
