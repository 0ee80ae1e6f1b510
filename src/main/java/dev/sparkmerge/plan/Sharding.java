package dev.sparkmerge.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups output tensors into shard files: by default one shard per transformer layer, one for the
 * tensors before the layers and one for those after. With a size limit, consecutive groups are
 * packed together while they fit, and a group larger than the limit is split greedily in order
 * (a single tensor larger than the limit gets a shard of its own, as in Hugging Face's writer).
 * Names follow Hugging Face: {@code model.safetensors} for one shard, otherwise
 * {@code model-00001-of-0000N.safetensors}.
 */
final class Sharding {
  private Sharding() {}

  /** @param maxShardBytes the size limit in bytes, or 0 for one shard per group */
  static List<ShardPlan> assign(List<TensorPlan> tensors, long maxShardBytes) {
    List<List<TensorPlan>> groups = new ArrayList<>();
    int currentGroup = Integer.MIN_VALUE;
    for (TensorPlan t : tensors) {
      if (groups.isEmpty() || t.group() != currentGroup) {
        groups.add(new ArrayList<>());
        currentGroup = t.group();
      }
      groups.get(groups.size() - 1).add(t);
    }
    List<List<TensorPlan>> shards = maxShardBytes > 0 ? pack(groups, maxShardBytes) : groups;
    List<ShardPlan> out = new ArrayList<>();
    int n = shards.size();
    for (int i = 0; i < n; i++) {
      String name = n == 1 ? "model.safetensors"
          : String.format("model-%05d-of-%05d.safetensors", i + 1, n);
      out.add(new ShardPlan(name, shards.get(i)));
    }
    return out;
  }

  private static List<List<TensorPlan>> pack(List<List<TensorPlan>> groups, long limit) {
    List<List<TensorPlan>> shards = new ArrayList<>();
    List<TensorPlan> current = new ArrayList<>();
    long currentBytes = 0;
    for (List<TensorPlan> group : groups) {
      long groupBytes = bytes(group);
      if (!current.isEmpty() && currentBytes + groupBytes <= limit) {
        current.addAll(group);
        currentBytes += groupBytes;
        continue;
      }
      if (!current.isEmpty()) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      if (groupBytes <= limit) {
        current.addAll(group);
        currentBytes = groupBytes;
        continue;
      }
      for (TensorPlan t : group) {
        long b = t.bytesWritten();
        if (!current.isEmpty() && currentBytes + b > limit) {
          shards.add(current);
          current = new ArrayList<>();
          currentBytes = 0;
        }
        current.add(t);
        currentBytes += b;
      }
    }
    if (!current.isEmpty()) {
      shards.add(current);
    }
    return shards;
  }

  private static long bytes(List<TensorPlan> group) {
    long n = 0;
    for (TensorPlan t : group) {
      n += t.bytesWritten();
    }
    return n;
  }
}
