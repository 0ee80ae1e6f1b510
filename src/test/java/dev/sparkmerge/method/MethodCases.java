package dev.sparkmerge.method;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One configured merge per registered method on random rows × cols tensors (three models plus a
 * base where the method takes one), with non-default parameters so every code path counts.
 */
final class MethodCases {
  static final int ROWS = 48;
  static final int COLS = 96;

  private MethodCases() {}

  static final class Case {
    final String label;
    final MergeRunner runner;

    Case(String label, MergeRunner runner) {
      this.label = label;
      this.runner = runner;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  static List<Case> all(long seed) {
    Random r = new Random(seed);
    int n = ROWS * COLS;
    float[] b = TestData.base(r, n);
    float[] x1 = TestData.distinctDeltas(r, b);
    float[] x2 = TestData.distinctDeltas(r, b);
    float[] x3 = TestData.distinctDeltas(r, b);
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("linear", MergeRunner.of("linear").model(x1, "weight", 0.5)
        .model(x2, "weight", 0.3).model(x3, "weight", 0.2)));
    cases.add(new Case("slerp", MergeRunner.of("slerp").base(b).model(x1).set("t", 0.4)));
    cases.add(new Case("nuslerp_flat", MergeRunner.of("nuslerp").base(b).model(x1, "weight", 0.3)
        .model(x2, "weight", 0.7)));
    cases.add(new Case("nuslerp_rows", MergeRunner.of("nuslerp").model(x1, "weight", 0.3)
        .model(x2, "weight", 0.7).set("nuslerp_flatten", false)));
    cases.add(new Case("nuslerp_columns", MergeRunner.of("nuslerp").base(b)
        .model(x1, "weight", 0.3).model(x2, "weight", 0.7).set("nuslerp_flatten", false)
        .set("nuslerp_row_wise", true)));
    cases.add(new Case("multislerp", MergeRunner.of("multislerp").base(b).model(x1, "weight", 1.0)
        .model(x2, "weight", 2.0).model(x3, "weight", 1.0)));
    cases.add(new Case("karcher", MergeRunner.of("karcher").model(x1).model(x2).model(x3)
        .model(b)));
    cases.add(new Case("task_arithmetic", gta("task_arithmetic", b, x1, x2, x3)
        .set("lambda", 0.9)));
    cases.add(new Case("ties", gta("ties", b, x1, x2, x3)));
    cases.add(new Case("ties_count_rescale", gta("ties", b, x1, x2, x3)
        .set("consensus_method", "count").set("rescale", true)));
    cases.add(new Case("dare_ties", gta("dare_ties", b, x1, x2, x3)));
    cases.add(new Case("dare_linear", gta("dare_linear", b, x1, x2, x3)));
    cases.add(new Case("dare_linear_inverse_density", gta("dare_linear", b, x1, x2, x3)
        .set("rescale_method", "inverse_density")));
    cases.add(new Case("breadcrumbs", gta("breadcrumbs", b, x1, x2, x3)));
    cases.add(new Case("breadcrumbs_ties", gta("breadcrumbs_ties", b, x1, x2, x3)
        .set("normalize", true)));
    cases.add(new Case("della", gta("della", b, x1, x2, x3)));
    cases.add(new Case("della_linear", gta("della_linear", b, x1, x2, x3)));
    cases.add(new Case("model_stock", MergeRunner.of("model_stock").base(b).model(x1).model(x2)
        .model(x3)));
    cases.add(new Case("model_stock_filter_wise", MergeRunner.of("model_stock").base(b).model(x1)
        .model(x2).model(x3).set("filter_wise", true)));
    cases.add(new Case("sce", MergeRunner.of("sce").base(b).model(x1).model(x2).model(x3)
        .set("select_topk", 0.3)));
    cases.add(new Case("nearswap", MergeRunner.of("nearswap").base(b).model(x1).set("t", 0.2)));
    cases.add(new Case("arcee_fusion", MergeRunner.of("arcee_fusion").base(b).model(x1)));
    cases.add(new Case("ram", MergeRunner.of("ram").base(b).model(x1).model(x2).model(x3)
        .set("epsilon", 0.3)));
    cases.add(new Case("ramplus_tl", MergeRunner.of("ramplus_tl").base(b).model(x1).model(x2)
        .model(x3).set("epsilon", 0.3).set("r", 0.5).set("alpha", 1.0)));
    cases.add(new Case("passthrough", MergeRunner.of("passthrough").model(x1, "scale", 0.75)));
    for (Case c : cases) {
      c.runner.shape(ROWS, COLS);
    }
    return cases;
  }

  private static MergeRunner gta(String method, float[] b, float[] x1, float[] x2, float[] x3) {
    boolean della = method.startsWith("della");
    boolean crumbs = method.startsWith("breadcrumbs");
    MergeRunner m = MergeRunner.of(method).base(b);
    Object[][] p = {
        {"weight", 1.0, "density", 0.3},
        {"weight", 0.6, "density", 0.5},
        {"weight", -0.4, "density", 0.7}};
    float[][] xs = {x1, x2, x3};
    for (int i = 0; i < 3; i++) {
      List<Object> params = new ArrayList<>(List.of(p[i]));
      if (method.equals("task_arithmetic")) {
        params = new ArrayList<>(List.of("weight", p[i][1]));
      }
      if (della) {
        params.addAll(List.of("epsilon", 0.1));
      }
      if (crumbs) {
        params.addAll(List.of("gamma", 0.05));
      }
      m.model(xs[i], params.toArray());
    }
    return m;
  }
}
