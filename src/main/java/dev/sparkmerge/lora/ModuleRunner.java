package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointFs;
import java.util.List;

/**
 * Where the modules of an adapter output are combined: here, one after the other
 * ({@link #local}), or spread over a cluster (the engine's Spark runner). Either way each module's
 * result depends only on its {@link ModuleWork}, so the written adapter is the same.
 */
public interface ModuleRunner {
  /**
   * {@link AdapterCombiner#combineAll} of every work, results in the order of {@code works}.
   */
  List<AdapterCombiner.ModuleResult> run(List<ModuleWork> works, AdapterCombiner.Combination how,
      int rank);

  /** All modules on this machine, in order. */
  static ModuleRunner local(CheckpointFs fs) {
    return (works, how, rank) -> AdapterCombiner.combineAll(fs, works, how, rank);
  }
}
