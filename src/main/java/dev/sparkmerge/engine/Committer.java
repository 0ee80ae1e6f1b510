package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.plan.MergePlan;
import dev.sparkmerge.plan.ShardPlan;
import dev.sparkmerge.plan.TensorPlan;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.Path;

/**
 * The driver's last step, after every shard is written: the shard index, config.json, the donor's
 * tokenizer and generation files, the model card, the config as given, and the merge manifest —
 * then {@code _SUCCESS}, so a reader never takes a half-written model for a complete one. Nothing
 * written here depends on time or machine, so reruns produce identical files.
 */
final class Committer {
  static final String INDEX = "model.safetensors.index.json";
  static final String MANIFEST = "merge-manifest.json";
  static final String CONFIG_COPY = "mergekit_config.yml";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Committer() {}

  static void commit(OutputDir out, MergePlan plan, List<ShardResult> results) {
    Map<String, ShardResult> byName = new TreeMap<>();
    for (ShardResult r : results) {
      byName.put(r.fileName(), r);
    }
    if (plan.shards().size() > 1) {
      out.writeText(out.file(INDEX), index(plan));
    }
    if (plan.outputConfigJson() != null) {
      out.writeText(out.file("config.json"), plan.outputConfigJson());
    }
    for (String f : plan.filesToCopy()) {
      out.copyFrom(new Path(new Path(plan.donor()), f), f);
    }
    out.writeText(out.file(CONFIG_COPY), plan.job().sourceText());
    out.writeText(out.file("README.md"), ModelCard.text(plan, out.root().getName()));
    out.writeText(out.file(MANIFEST), manifest(plan, byName));
    out.removeAbandonedTempFiles();
    out.writeText(out.file(OutputDir.SUCCESS), "");
  }

  private static String index(MergePlan plan) {
    ObjectNode root = JSON.createObjectNode();
    long total = 0;
    Map<String, String> weightMap = new TreeMap<>();
    for (ShardPlan s : plan.shards()) {
      total += s.layout().dataBytes();
      for (TensorPlan t : s.tensors()) {
        weightMap.put(t.name(), s.fileName());
      }
    }
    ObjectNode meta = root.putObject("metadata");
    meta.put("total_size", total);
    ObjectNode map = root.putObject("weight_map");
    weightMap.forEach(map::put);
    return root.toPrettyString() + "\n";
  }

  private static String manifest(MergePlan plan, Map<String, ShardResult> results) {
    ObjectNode root = JSON.createObjectNode();
    root.put("tool", "sparkmerge 0.1.0");
    root.put("merge_method", plan.job().mergeMethod());
    root.put("config_hash", plan.job().configHash());
    root.put("seed", plan.job().seed());
    ArrayNode inputs = root.putArray("inputs");
    plan.inputModelSizes().forEach((path, bytes) -> {
      ObjectNode o = inputs.addObject();
      o.put("path", path);
      o.put("bytes", bytes);
    });
    root.put("donor", plan.donor());
    root.put("tensors", plan.tensors().size());
    ArrayNode shards = root.putArray("shards");
    for (ShardPlan s : plan.shards()) {
      ShardResult r = results.get(s.fileName());
      ObjectNode o = shards.addObject();
      o.put("file", s.fileName());
      o.put("tensors", s.tensors().size());
      o.put("length", r.length());
      o.put("sha256", r.sha256());
      o.put("fingerprint", plan.fingerprint(s.fileName()));
    }
    ArrayNode warnings = root.putArray("warnings");
    plan.warnings().forEach(warnings::add);
    return root.toPrettyString() + "\n";
  }
}
