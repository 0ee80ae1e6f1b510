package dev.sparkmerge.report;

import dev.sparkmerge.report.ReportData.TensorRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-tensor statistics summed up by layer group ({@link LayerGroups}) or over the whole model,
 * the way each statistic adds up: norms as the root of summed squares, fractions weighted by
 * element count. The cosine with an input is exact when the table records the inputs' norms
 * ({@code input_l2}: dot products are then recovered as cos·‖Δ‖·‖Δᵢ‖ and summed); without them it
 * is the element-weighted mean of the tensors' cosines, and {@link #exactCosine} says so.
 */
public final class LayerStats {
  /** The statistics of one group of tensors of one model. */
  public record Group(double deltaL2, double changedFraction, double signAgreement,
      double[] cosine, double[] inputL2) {}

  private final Map<String, Map<String, Group>> byModel = new LinkedHashMap<>();
  private final Map<String, Group> whole = new LinkedHashMap<>();
  private final boolean exactCosine;

  private LayerStats(List<TensorRow> rows) {
    Map<String, Map<String, List<TensorRow>>> grouped = new LinkedHashMap<>();
    Map<String, List<TensorRow>> all = new LinkedHashMap<>();
    boolean exact = !rows.isEmpty();
    for (TensorRow r : rows) {
      grouped.computeIfAbsent(r.model(), k -> new TreeMap<>(LayerGroups.ORDER))
          .computeIfAbsent(LayerGroups.of(r.tensor()), k -> new ArrayList<>()).add(r);
      all.computeIfAbsent(r.model(), k -> new ArrayList<>()).add(r);
      exact &= r.inputL2() != null;
    }
    exactCosine = exact;
    grouped.forEach((model, groups) -> {
      Map<String, Group> out = new LinkedHashMap<>();
      groups.forEach((g, list) -> out.put(g, combine(list, exactCosine)));
      byModel.put(model, out);
    });
    all.forEach((model, list) -> whole.put(model, combine(list, exactCosine)));
  }

  /** Summarises {@code rows} (any mix of models). */
  public static LayerStats of(List<TensorRow> rows) {
    return new LayerStats(rows);
  }

  /** Models in the order of their first row. */
  public List<String> models() {
    return List.copyOf(byModel.keySet());
  }

  /** Every group label any model has, in model order ({@link LayerGroups#ORDER}). */
  public List<String> groups() {
    TreeMap<String, Boolean> labels = new TreeMap<>(LayerGroups.ORDER);
    byModel.values().forEach(m -> m.keySet().forEach(g -> labels.put(g, true)));
    return List.copyOf(labels.keySet());
  }

  /** A model's group, or null if it has no tensor there. */
  public Group group(String model, String group) {
    return byModel.getOrDefault(model, Map.of()).get(group);
  }

  /** A model's statistics over all its tensors. */
  public Group whole(String model) {
    return whole.get(model);
  }

  /** True when cosines are exact aggregates (every row has input norms). */
  public boolean exactCosine() {
    return exactCosine;
  }

  private static Group combine(List<TensorRow> rows, boolean exact) {
    int inputs = rows.get(0).cosineToInputs().length;
    double deltaSq = 0;
    double numel = 0;
    double changed = 0;
    double conflicts = 0;
    double[] dots = new double[inputs];
    double[] inputSq = new double[inputs];
    double[] weight = new double[inputs];
    for (TensorRow r : rows) {
      deltaSq += r.deltaL2() * r.deltaL2();
      numel += r.numel();
      changed += r.changedFraction() * r.numel();
      conflicts += r.signConflictRate() * r.numel();
      for (int i = 0; i < inputs && i < r.cosineToInputs().length; i++) {
        double c = r.cosineToInputs()[i];
        if (exact) {
          double norm = r.inputL2()[i];
          inputSq[i] += norm * norm;
          dots[i] += Double.isNaN(c) ? 0 : c * r.deltaL2() * norm;
        } else if (!Double.isNaN(c)) {
          dots[i] += c * r.numel();
          weight[i] += r.numel();
        }
      }
    }
    double[] cosine = new double[inputs];
    double[] inputL2 = exact ? new double[inputs] : null;
    for (int i = 0; i < inputs; i++) {
      if (exact) {
        inputL2[i] = Math.sqrt(inputSq[i]);
        double denom = Math.sqrt(deltaSq) * inputL2[i];
        cosine[i] = denom == 0 ? Double.NaN : dots[i] / denom;
      } else {
        cosine[i] = weight[i] == 0 ? Double.NaN : dots[i] / weight[i];
      }
    }
    return new Group(Math.sqrt(deltaSq), numel == 0 ? 0 : changed / numel,
        numel == 0 ? 1 : 1 - conflicts / numel, cosine, inputL2);
  }
}
