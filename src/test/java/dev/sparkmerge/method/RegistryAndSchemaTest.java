package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryAndSchemaTest {

  @Test
  void registersEveryMergekitMethod() {
    assertEquals(List.of("linear", "slerp", "nuslerp", "multislerp", "karcher", "task_arithmetic",
        "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della",
        "della_linear", "sce", "model_stock", "nearswap", "arcee_fusion", "ram", "ramplus_tl",
        "passthrough"), List.copyOf(MethodRegistry.names()));
  }

  @Test
  void unknownMethodSuggestsTheClosestName() {
    MergeException e = assertThrows(MergeException.class, () -> MethodRegistry.get("dare-ties"));
    assertTrue(e.getMessage().contains("'dare-ties'"), e.getMessage());
    assertTrue(e.getMessage().contains("Did you mean 'dare_ties'?"), e.getMessage());
    e = assertThrows(MergeException.class, () -> MethodRegistry.get("slurp"));
    assertTrue(e.getMessage().contains("Did you mean 'slerp'?"), e.getMessage());
  }

  @Test
  void mergekitDefaults() {
    ParameterSchema ties = MethodRegistry.get("ties").parameters();
    assertEquals(true, ties.get("normalize").defaultValue);
    assertEquals(false, ties.get("rescale").defaultValue);
    assertEquals(1.0, ties.get("density").defaultValue);
    assertEquals(1.0, ties.get("lambda").defaultValue);
    assertTrue(ties.get("weight").required);
    assertEquals(ParameterSpec.Scope.PER_MODEL, ties.get("weight").scope);
    ParameterSchema dareTies = MethodRegistry.get("dare_ties").parameters();
    assertEquals(false, dareTies.get("normalize").defaultValue);
    assertEquals(true, dareTies.get("rescale").defaultValue);
    assertEquals(0.01, MethodRegistry.get("breadcrumbs").parameters().get("gamma").defaultValue);
    assertEquals(0.15, MethodRegistry.get("della").parameters().get("epsilon").defaultValue);
    assertEquals(true, MethodRegistry.get("della").parameters().get("normalize").defaultValue);
    assertEquals(false,
        MethodRegistry.get("della_linear").parameters().get("normalize").defaultValue);
    assertEquals(true, MethodRegistry.get("linear").parameters().get("normalize").defaultValue);
    assertEquals(10.0, MethodRegistry.get("karcher").parameters().get("max_iter").defaultValue);
    assertEquals(1e-5, MethodRegistry.get("karcher").parameters().get("tol").defaultValue);
    assertEquals(1e-8, MethodRegistry.get("multislerp").parameters().get("eps").defaultValue);
    assertEquals(1.0, MethodRegistry.get("sce").parameters().get("select_topk").defaultValue);
    assertEquals(0.1, MethodRegistry.get("ramplus_tl").parameters().get("r").defaultValue);
    assertEquals(0.2, MethodRegistry.get("ramplus_tl").parameters().get("alpha").defaultValue);
    assertEquals(1e-5, MethodRegistry.get("ram").parameters().get("epsilon").defaultValue);
    assertEquals(true,
        MethodRegistry.get("nuslerp").parameters().get("nuslerp_flatten").defaultValue);
    assertTrue(MethodRegistry.get("slerp").parameters().get("t").required);
    assertTrue(MethodRegistry.get("arcee_fusion").parameters().specs().isEmpty());
    assertEquals(null, MethodRegistry.get("passthrough").parameters().get("scale").defaultValue);
  }

  @Test
  void misspelledParameterNamesAreErrorsWithASuggestion() {
    MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of("ties")
        .base(Golden.B).model(Golden.X1, "weight", 1.0, "densty", 0.5).kernel());
    assertTrue(e.getMessage().contains("no parameter 'densty'"), e.getMessage());
    assertTrue(e.getMessage().contains("Did you mean 'density'?"), e.getMessage());
  }

  @Test
  void globalParameterGivenPerModelIsAnError() {
    MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of("slerp")
        .base(Golden.B).model(Golden.X1, "t", 0.5).kernel());
    assertTrue(e.getMessage().contains("'t' is global"), e.getMessage());
  }

  @Test
  void missingRequiredParameterNamesIt() {
    MergeException e = assertThrows(MergeException.class,
        () -> MergeRunner.of("linear").model(Golden.X1).kernel());
    assertTrue(e.getMessage().contains("needs parameter 'weight' of model 0"), e.getMessage());
  }

  @Test
  void outOfRangeAndWrongTypesNameTheValue() {
    MergeException e = assertThrows(MergeException.class, () -> MergeRunner.of("ties")
        .base(Golden.B).model(Golden.X1, "weight", 1.0, "density", -0.5).kernel());
    assertTrue(e.getMessage().contains("'density' of model 0 is -0.5; allowed range is (0, 1]"),
        e.getMessage());
    e = assertThrows(MergeException.class, () -> MergeRunner.of("ties").base(Golden.B)
        .model(Golden.X1, "weight", 1.0).set("consensus_method", "sun").kernel());
    assertTrue(e.getMessage().contains("closest: 'sum'"), e.getMessage());
    e = assertThrows(MergeException.class, () -> MergeRunner.of("karcher").model(Golden.X1)
        .set("max_iter", 2.5).kernel());
    assertTrue(e.getMessage().contains("whole number"), e.getMessage());
  }

  @Test
  void numbersMayArriveAsStringsAndBooleansAsNumbers() {
    // PyYAML reads 1e-5 as a string and pydantic converts it; booleans arrive as 1.0/0.0.
    float[] a = MergeRunner.of("ties").base(Golden.B).model(Golden.X1, "weight", "1", "density",
        "0.5").model(Golden.X2, "weight", 0.5, "density", 0.5).set("normalize", 0.0).run();
    float[] b = MergeRunner.of("ties").base(Golden.B).model(Golden.X1, "weight", 1.0, "density",
        0.5).model(Golden.X2, "weight", 0.5, "density", 0.5).set("normalize", false).run();
    assertEquals(List.of(), diff(a, b));
  }

  private static List<Integer> diff(float[] a, float[] b) {
    java.util.ArrayList<Integer> d = new java.util.ArrayList<>();
    for (int i = 0; i < a.length; i++) {
      if (Float.compare(a[i], b[i]) != 0) {
        d.add(i);
      }
    }
    return d;
  }

  @Test
  void everyMethodExposesASchema() {
    for (String name : MethodRegistry.names()) {
      MergeMethod m = MethodRegistry.get(name);
      assertEquals(name, m.name());
      for (ParameterSpec s : m.parameters().specs()) {
        assertTrue(s.required || s.defaultValue != null || s.name.equals("scale"), s.toString());
      }
    }
  }

  @Test
  void shapeRulesFollowMergekit() {
    ShapeRule.Resolution r = MethodRegistry.get("linear").shapeRule().resolve("embed", true, null,
        List.of(new long[] {10, 4}, new long[] {12, 3}));
    assertEquals(List.of(10L, 3L), List.of(r.shape[0], r.shape[1]));
    r = MethodRegistry.get("ties").shapeRule().resolve("embed", true, new long[] {10, 4},
        List.of(new long[] {12, 4}, new long[] {10, 4}));
    assertEquals(List.of(10L, 4L), List.of(r.shape[0], r.shape[1]));
    assertEquals(List.of(0, 1), r.included);
    r = MethodRegistry.get("ties").shapeRule().resolve("w", false, new long[] {10, 4},
        List.of(new long[] {12, 4}, new long[] {10, 4}));
    assertEquals(List.of(1), r.included);
    assertEquals(1, r.warnings.size());
    assertThrows(MergeException.class, () -> MethodRegistry.get("ties").shapeRule().resolve(
        "embed", true, new long[] {10, 4}, List.of(new long[] {8, 4})));
    assertThrows(MergeException.class, () -> MethodRegistry.get("sce").shapeRule().resolve(
        "embed", true, new long[] {10, 4}, List.of(new long[] {12, 4})));
    assertThrows(MergeException.class, () -> MethodRegistry.get("linear").shapeRule().resolve(
        "w", false, null, List.of(new long[] {10, 4}, new long[] {12, 4})));
  }

  @Test
  void anotherMethodsParameterIsIgnoredAsInMergekitAndReported() {
    // mergekit's own test configs give weight 0.6/0.4 to every method, sce included.
    MergeRunner sce = MergeRunner.of("sce").base(Golden.B).model(Golden.X1, "weight", 0.6)
        .model(Golden.X2, "weight", 0.4, "density", 0.5);
    MergeRunner plain = MergeRunner.of("sce").base(Golden.B).model(Golden.X1).model(Golden.X2);
    assertEquals(List.of(), diff(plain.run(), sce.run()));
    assertEquals(java.util.Set.of("weight", "density"), MethodRegistry.get("sce").parameters()
        .ignoredNames(new MethodParameters(sce.global, sce.perModel)));
  }
}
