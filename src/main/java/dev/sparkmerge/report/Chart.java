package dev.sparkmerge.report;

/** A chart of the report: what it shows, independent of how it is drawn ({@link SvgCharts}). */
public sealed interface Chart permits SeriesChart, HeatMapChart {
  /** The figure's id in the page (unique per report). */
  String id();

  String title();
}
