package dev.sparkmerge.report;

import java.awt.Color;
import java.awt.Paint;
import java.io.Serializable;
import org.jfree.chart.renderer.PaintScale;

/**
 * Blue below the middle of [lower, upper], white at it, red above: for values with a natural
 * centre, such as cosines. Values outside the range take the end colours; NaN is light grey.
 */
final class DivergingScale implements PaintScale, Serializable {
  private static final long serialVersionUID = 1L;
  private static final Color LOW = new Color(0x2c, 0x6d, 0xb4);
  private static final Color MID = Color.WHITE;
  private static final Color HIGH = new Color(0xc0, 0x39, 0x2b);
  static final Color NONE = new Color(0xdd, 0xdd, 0xdd);

  private final double lower;
  private final double upper;

  DivergingScale(double lower, double upper) {
    this.lower = lower;
    this.upper = upper;
  }

  @Override
  public double getLowerBound() {
    return lower;
  }

  @Override
  public double getUpperBound() {
    return upper;
  }

  @Override
  public Paint getPaint(double value) {
    if (Double.isNaN(value)) {
      return NONE;
    }
    double mid = (lower + upper) / 2;
    double t = Math.max(-1, Math.min(1, (value - mid) / ((upper - lower) / 2)));
    return t < 0 ? mix(MID, LOW, -t) : mix(MID, HIGH, t);
  }

  private static Color mix(Color a, Color b, double t) {
    return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t),
        (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
        (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
  }
}
