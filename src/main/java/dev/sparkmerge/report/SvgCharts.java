package dev.sparkmerge.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Rectangle2D;
import java.util.Map;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * Draws {@link SeriesChart}s and {@link HeatMapChart}s with JFreeChart into inline SVG (JFreeSVG):
 * no JavaScript, no fonts or images to fetch. Over the library's drawing each chart gets a layer
 * of invisible hover targets, one per point or cell, whose {@code <title>} is the tooltip and
 * whose {@code data-*} attributes carry the exact values (Java's round-trip form) — what a reader
 * copies and what the tests compare with the statistics tables.
 */
final class SvgCharts {
  static final int WIDTH = 760;
  private static final Font TITLE = new Font("SansSerif", Font.BOLD, 15);
  /** Distinct, print-safe series colours (JFreeChart's defaults include a pale yellow). */
  private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e),
      new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b),
      new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

  static {
    // Drawing needs fonts for text metrics but never a display: cluster drivers have none.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private SvgCharts() {}

  /** A line chart: the x positions are equally spaced and named. */
  static String render(SeriesChart c) {
    XYSeriesCollection data = new XYSeriesCollection();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (Map.Entry<String, double[]> e : c.series().entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), false, true);
      double[] v = e.getValue();
      for (int i = 0; i < v.length; i++) {
        if (Double.isFinite(v[i])) {
          s.add(i, v[i]);
          lo = Math.min(lo, v[i]);
          hi = Math.max(hi, v[i]);
        }
      }
      data.addSeries(s);
    }
    for (double m : c.markers().values()) {
      lo = Math.min(lo, m);
      hi = Math.max(hi, m);
    }
    SymbolAxis x = new SymbolAxis(c.xLabel(), c.xs().toArray(new String[0]));
    x.setGridBandsVisible(false);
    x.setVerticalTickLabels(c.xs().size() > 14 || longest(c.xs()) > 14);
    NumberAxis y = new NumberAxis(c.yLabel());
    if (lo <= hi) { // JFreeChart's auto range ignores markers; include them, with a margin
      double pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 1e-9);
      y.setRange(lo - pad, hi + pad);
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < c.series().size(); i++) {
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
    }
    XYPlot plot = new XYPlot(data, x, y, renderer);
    c.markers().forEach((label, value) -> plot.addRangeMarker(marker(label, value)));
    int height = 340 + (c.series().size() > 1 ? 18 * ((c.series().size() + 2) / 3) : 0);
    JFreeChart chart = chart(c.title(), plot, c.series().size() > 1);
    return draw(chart, c.id(), height, (info, out) -> {
      Rectangle2D area = info.getPlotInfo().getDataArea();
      for (Map.Entry<String, double[]> e : c.series().entrySet()) {
        double[] v = e.getValue();
        for (int i = 0; i < v.length; i++) {
          if (!Double.isFinite(v[i])) {
            continue;
          }
          double px = x.valueToJava2D(i, area, plot.getDomainAxisEdge());
          double py = y.valueToJava2D(v[i], area, plot.getRangeAxisEdge());
          out.append("<circle class=\"point\" data-series=\"").append(Html.esc(e.getKey()))
              .append("\" data-x=\"").append(Html.esc(c.xs().get(i)))
              .append("\" data-y=\"").append(Html.num(v[i]))
              .append("\" cx=\"").append(px(px)).append("\" cy=\"").append(px(py))
              .append("\" r=\"7\" fill=\"transparent\"><title>")
              .append(Html.esc(e.getKey() + " \u00b7 " + c.xLabel() + " " + c.xs().get(i) + ": "
                  + Html.fmt(v[i])))
              .append("</title></circle>");
        }
      }
    });
  }

  /** A heat map, first row at the top, each cell's value written in it when there is room. */
  static String render(HeatMapChart c) {
    int rows = c.rows().size();
    int cols = c.columns().size();
    double[][] xyz = new double[3][rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < cols; k++) {
        xyz[0][r * cols + k] = k;
        xyz[1][r * cols + k] = r;
        xyz[2][r * cols + k] = c.values()[r][k];
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries(c.title(), xyz);
    SymbolAxis x = new SymbolAxis(c.columnLabel(), c.columns().toArray(new String[0]));
    x.setGridBandsVisible(false);
    x.setVerticalTickLabels(cols > 8 && longest(c.columns()) > 10);
    SymbolAxis y = new SymbolAxis(c.rowLabel(), c.rows().toArray(new String[0]));
    y.setGridBandsVisible(false);
    y.setInverted(true);
    DivergingScale scale = new DivergingScale(c.lower(), c.upper());
    XYBlockRenderer renderer = new XYBlockRenderer();
    renderer.setPaintScale(scale);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    if (rows * cols <= 200) {
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < cols; k++) {
          XYTextAnnotation a = new XYTextAnnotation(Html.fmt(c.values()[r][k]), k, r);
          a.setFont(new Font("SansSerif", Font.PLAIN, 11));
          plot.addAnnotation(a);
        }
      }
    }
    JFreeChart chart = chart(c.title(), plot, false);
    NumberAxis legendAxis = new NumberAxis();
    legendAxis.setRange(c.lower(), c.upper());
    PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setStripWidth(12);
    legend.setMargin(20, 8, 40, 8);
    chart.addSubtitle(legend);
    int height = Math.max(220, 130 + 30 * rows);
    return draw(chart, c.id(), height, (info, out) -> {
      Rectangle2D area = info.getPlotInfo().getDataArea();
      for (int r = 0; r < rows; r++) {
        for (int k = 0; k < cols; k++) {
          double x0 = x.valueToJava2D(k - 0.5, area, plot.getDomainAxisEdge());
          double x1 = x.valueToJava2D(k + 0.5, area, plot.getDomainAxisEdge());
          double y0 = y.valueToJava2D(r - 0.5, area, plot.getRangeAxisEdge());
          double y1 = y.valueToJava2D(r + 0.5, area, plot.getRangeAxisEdge());
          double v = c.values()[r][k];
          out.append("<rect class=\"cell\" data-row=\"").append(Html.esc(c.rows().get(r)))
              .append("\" data-column=\"").append(Html.esc(c.columns().get(k)))
              .append("\" data-value=\"").append(Html.num(v))
              .append("\" x=\"").append(px(Math.min(x0, x1)))
              .append("\" y=\"").append(px(Math.min(y0, y1)))
              .append("\" width=\"").append(px(Math.abs(x1 - x0)))
              .append("\" height=\"").append(px(Math.abs(y1 - y0)))
              .append("\" fill=\"transparent\"><title>")
              .append(Html.esc(c.rows().get(r) + " \u00d7 " + c.columns().get(k) + ": "
                  + Html.fmt(v)))
              .append("</title></rect>");
        }
      }
    });
  }

  /** Writes the hover layer of a drawn chart, given where the plot's data area ended up. */
  private interface Overlay {
    void write(ChartRenderingInfo info, StringBuilder out);
  }

  private static String draw(JFreeChart chart, String id, int height, Overlay overlay) {
    SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, height);
    // Ids of clip paths and gradients must be unique in the page and the same on every run.
    g2.setDefsKeyPrefix(id + "-");
    ChartRenderingInfo info = new ChartRenderingInfo();
    chart.draw(g2, new Rectangle2D.Double(0, 0, WIDTH, height), info);
    StringBuilder layer = new StringBuilder("<g class=\"hover\">");
    overlay.write(info, layer);
    layer.append("</g>");
    String svg = g2.getSVGElement("svg-" + id, true, new ViewBox(0, 0, WIDTH, height), null,
        null);
    int end = svg.lastIndexOf("</svg>");
    return svg.substring(0, end) + layer + svg.substring(end);
  }

  private static JFreeChart chart(String title, XYPlot plot, boolean legend) {
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xe0, 0xe0, 0xe0));
    plot.setRangeGridlinePaint(new Color(0xe0, 0xe0, 0xe0));
    plot.setOutlineVisible(false);
    JFreeChart chart = new JFreeChart(title, TITLE, plot, legend);
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    return chart;
  }

  private static ValueMarker marker(String label, double value) {
    ValueMarker m = new ValueMarker(value, new Color(0x55, 0x55, 0x55), new BasicStroke(1.2f,
        BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
    m.setLabel(label);
    m.setLabelFont(new Font("SansSerif", Font.PLAIN, 11));
    m.setLabelBackgroundColor(new Color(255, 255, 255, 0));
    m.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
    m.setLabelTextAnchor(TextAnchor.BOTTOM_RIGHT);
    return m;
  }

  private static int longest(java.util.List<String> labels) {
    return labels.stream().mapToInt(String::length).max().orElse(0);
  }

  private static String px(double v) {
    return String.format(java.util.Locale.ROOT, "%.2f", v);
  }
}
