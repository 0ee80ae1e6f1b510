package dev.sparkmerge.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one line chart shows: values at named x positions (layers, grid values, candidates), one
 * line per series, NaN where a series has no value; {@code markers} are horizontal reference
 * lines (e.g. the best input's score). {@code id} names the figure in the page.
 */
public record SeriesChart(String id, String title, String xLabel, String yLabel,
    List<String> xs, Map<String, double[]> series, Map<String, Double> markers)
    implements Chart {
  public SeriesChart {
    xs = List.copyOf(xs);
    series = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(series));
    markers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(markers));
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      if (e.getValue().length != xs.size()) {
        throw new IllegalArgumentException("series " + e.getKey() + " has "
            + e.getValue().length + " values for " + xs.size() + " x positions");
      }
    }
  }
}
