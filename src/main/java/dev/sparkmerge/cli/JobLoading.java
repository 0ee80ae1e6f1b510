package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.MergePlanner;
import dev.sparkmerge.plan.PlanException;
import dev.sparkmerge.plan.PlanOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Config file → validated JobSpec → MergePlan, shared by {@code run} and {@code plan}. */
final class JobLoading {
  private static final int MAX_CONFIG_BYTES = 16 << 20;

  private JobLoading() {}

  /** Every candidate of a grid config (a plain config is one candidate with id "config"). */
  static List<GridCandidate> loadCandidates(CheckpointFs fs, String configPath) {
    byte[] bytes = fs.readSmallFile(fs.resolve(configPath), "config file", MAX_CONFIG_BYTES);
    return ConfigLoader.loadCandidates(new String(bytes, StandardCharsets.UTF_8), configPath,
        RegistryCatalog.INSTANCE, new HadoopAdapterLister(fs));
  }

  /** True when the candidates are a grid rather than one plain config. */
  static boolean isGrid(List<GridCandidate> candidates) {
    return candidates.size() > 1 || !candidates.get(0).values().isEmpty()
        || !candidates.get(0).id().equals("config");
  }

  /** Plans every candidate, reporting the problems of all of them before anything runs. */
  static List<MergePlan> planAll(CheckpointFs fs, List<GridCandidate> candidates,
      PlanOptions options) {
    List<MergePlan> plans = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (GridCandidate c : candidates) {
      try {
        plans.add(MergePlanner.plan(c.spec(), fs, options));
      } catch (PlanException e) {
        for (String p : e.problems()) {
          problems.add("candidate " + c.id() + ": " + p);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PlanException(problems);
    }
    return plans;
  }
}
