package dev.sparkmerge.report;

import java.util.List;

/**
 * What one heat map shows: {@code values[row][column]} (NaN for none) on a diverging scale from
 * {@code lower} to {@code upper}. {@code id} names the figure in the page.
 */
public record HeatMapChart(String id, String title, String rowLabel, String columnLabel,
    List<String> rows, List<String> columns, double[][] values, double lower, double upper)
    implements Chart {
  public HeatMapChart {
    rows = List.copyOf(rows);
    columns = List.copyOf(columns);
    if (values.length != rows.size()) {
      throw new IllegalArgumentException(values.length + " value rows for " + rows.size());
    }
  }
}
