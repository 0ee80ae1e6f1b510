package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A grid candidate's config text (its mergekit_config.yml) is YAML that loads on its own as the
 * same config: same hash, its swept values written into the top-level parameters.
 */
class GridCandidateTextTest {
  @Test
  void eachCandidatesTextIsItsOwnConfig() {
    String yaml = "merge_method: ties\nbase_model: base\nmodels:\n  - model: a\n"
        + "  - model: b\n    parameters: {weight: 0.5}\nparameters: {normalize: true}\n"
        + "grid:\n  density: [0.3, 0.7]\n  weight: [1.0]\n"
        + "evaluate: {tasks: [evals/]}\n";
    List<GridCandidate> candidates = ConfigLoader.loadCandidates(yaml, "grid.yml",
        FakeCatalog.INSTANCE);
    assertEquals(2, candidates.size());
    for (GridCandidate c : candidates) {
      String text = c.spec().sourceText();
      assertTrue(text.startsWith("# candidate " + c.id() + " of grid.yml\nmerge_method: ties\n"),
          text);
      assertTrue(!text.contains("Event") && !text.contains("grid:"), text);
      JobSpec alone = ConfigLoader.load(text, "candidate.yml", FakeCatalog.INSTANCE);
      assertEquals(c.spec().configHash(), alone.configHash(), text);
      assertEquals(List.of("evals/"), alone.evaluation().tasks());
    }
  }
}
