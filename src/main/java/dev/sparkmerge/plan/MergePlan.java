package dev.sparkmerge.plan;

import dev.sparkmerge.config.JobSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * The complete, validated description of a merge, built on the driver from headers and small JSON
 * files only: every output tensor with its inputs and bound kernel, the shard files, and what the
 * commit step writes besides the shards. Nothing in it depends on time or machine, so the same
 * config and inputs always give the same plan and the same output bytes.
 */
public final class MergePlan implements Serializable {
  private static final long serialVersionUID = 1L;

  private final JobSpec job;
  private final PlanOptions options;
  private final List<TensorPlan> tensors;
  private final List<ShardPlan> shards;
  private final Map<String, String> shardFingerprints;
  private final String donor;
  private final String outputConfigJson;
  private final List<String> filesToCopy;
  private final Map<String, Long> inputModels;
  private final List<String> warnings;

  MergePlan(JobSpec job, PlanOptions options, List<TensorPlan> tensors, List<ShardPlan> shards,
      Map<String, String> shardFingerprints, String donor, String outputConfigJson,
      List<String> filesToCopy, Map<String, Long> inputModels, List<String> warnings) {
    this.job = job;
    this.options = options;
    this.tensors = List.copyOf(tensors);
    this.shards = List.copyOf(shards);
    this.shardFingerprints = Map.copyOf(shardFingerprints);
    this.donor = donor;
    this.outputConfigJson = outputConfigJson;
    this.filesToCopy = List.copyOf(filesToCopy);
    this.inputModels = java.util.Collections.unmodifiableMap(
        new java.util.LinkedHashMap<>(inputModels));
    this.warnings = List.copyOf(warnings);
  }

  public JobSpec job() {
    return job;
  }

  public PlanOptions options() {
    return options;
  }

  /** Output tensors in plan order (pre-weights, layers, post-weights). */
  public List<TensorPlan> tensors() {
    return tensors;
  }

  public List<ShardPlan> shards() {
    return shards;
  }

  /**
   * A fingerprint per shard file name: a hash of the config, the shard's layout and every input
   * byte range it reads (with the input files' lengths). A finished shard whose manifest holds the
   * same fingerprint need not be written again.
   */
  public String fingerprint(String shardFileName) {
    return shardFingerprints.get(shardFileName);
  }

  /** The model whose config.json and tokenizer files the output gets (the base, else the first). */
  public String donor() {
    return donor;
  }

  /** The output config.json text, or null when the donor has none. */
  public String outputConfigJson() {
    return outputConfigJson;
  }

  /** File names in the donor directory copied unchanged (tokenizer, generation config, ...). */
  public List<String> filesToCopy() {
    return filesToCopy;
  }

  /** Every input model location, as resolved. */
  public List<String> inputModels() {
    return List.copyOf(inputModels.keySet());
  }

  /** Every input model location with its size in bytes (all its shard files), in config order. */
  public Map<String, Long> inputModelSizes() {
    return inputModels;
  }

  public List<String> warnings() {
    return warnings;
  }

  public long bytesRead() {
    long n = 0;
    for (TensorPlan t : tensors) {
      n += t.bytesRead();
    }
    return n;
  }

  public long bytesWritten() {
    long n = 0;
    for (ShardPlan s : shards) {
      n += s.fileLength();
    }
    return n;
  }
}
