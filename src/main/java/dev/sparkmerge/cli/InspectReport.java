package dev.sparkmerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.AdapterConfig;
import dev.sparkmerge.checkpoint.ByteSizes;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.LayerNames;
import dev.sparkmerge.checkpoint.LoraModule;
import dev.sparkmerge.checkpoint.ModelConfig;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.checkpoint.SafetensorsHeader;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the {@code inspect} report as a JSON tree (the {@code --json} output) and renders the same
 * tree as text, so both forms always say the same thing.
 */
final class InspectReport {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private InspectReport() {}

  static ObjectNode of(HfModel model) {
    ObjectNode r = JSON.objectNode();
    r.put("path", model.root().toString());
    r.put("kind", !model.isDirectory() ? "safetensors file"
        : model.isSharded() ? "sharded model" : "model");
    ArrayNode shards = r.putArray("shards");
    for (Map.Entry<String, SafetensorsHeader> s : model.shards().entrySet()) {
      ObjectNode o = shards.addObject();
      o.put("file", s.getKey());
      o.put("tensors", s.getValue().tensors().size());
      o.put("bytes", s.getValue().fileLength());
    }
    ModelConfig config = model.config();
    int layers;
    if (config != null && config.layerCount() >= 0) {
      layers = config.layerCount();
      r.put("layer_count_source", "config.json " + config.layerCountKey());
    } else {
      layers = LayerNames.inferLayerCount(model.tensors().keySet());
      r.put("layer_count_source", "tensor names");
    }
    r.put("layers", layers);
    if (config != null) {
      ObjectNode c = r.putObject("config");
      c.put("architecture", config.architecture());
      c.put("model_type", config.modelType());
      c.put("tie_word_embeddings", config.tieWordEmbeddings());
    }
    ObjectNode meta = r.putObject("metadata");
    for (SafetensorsHeader h : model.shards().values()) {
      h.metadata().forEach(meta::put);
    }
    ArrayNode other = r.putArray("other_files");
    model.otherFiles().forEach(other::add);
    ArrayNode tensors = JSON.arrayNode();
    Totals totals = new Totals();
    for (TensorLocation t : model.tensors().values()) {
      ObjectNode o = tensorNode(t.info());
      o.put("shard", shortName(t.file()));
      tensors.add(o);
      totals.add(t.info());
    }
    totals.writeTo(r);
    r.set("tensors", tensors);
    return r;
  }

  static ObjectNode of(PeftAdapter adapter) {
    AdapterConfig c = adapter.config();
    ObjectNode r = JSON.objectNode();
    r.put("path", adapter.dir().toString());
    r.put("kind", "PEFT adapter");
    r.put("peft_type", c.peftType());
    r.put("base_model", c.baseModel());
    r.put("task_type", c.taskType());
    r.put("r", c.r());
    r.put("lora_alpha", c.loraAlpha());
    r.put("use_rslora", c.useRslora());
    r.put("use_dora", c.useDora());
    r.put("scale", c.useRslora() ? c.loraAlpha() / Math.sqrt(c.r()) : c.loraAlpha() / c.r());
    ArrayNode targets = r.putArray("target_modules");
    adapter.targetLeafNames().forEach(targets::add);
    r.put("lora_modules", adapter.modules().size());
    r.put("layers", LayerNames.inferLayerCount(adapter.modules().keySet()));
    ArrayNode full = r.putArray("full_tensors");
    adapter.fullTensors().keySet().forEach(full::add);
    ArrayNode blockers = r.putArray("merge_blockers");
    c.mergeBlockers().forEach(blockers::add);
    ArrayNode modules = r.putArray("modules");
    for (LoraModule m : adapter.modules().values()) {
      ObjectNode o = modules.addObject();
      o.put("module", m.modulePath());
      o.put("rank", m.rank());
      o.put("alpha", m.alpha());
      o.put("scale", m.scale());
      o.put("out", m.outFeatures());
      o.put("in", m.inFeatures());
      o.put("embedding", m.isEmbedding());
    }
    ObjectNode meta = r.putObject("metadata");
    adapter.header().metadata().forEach(meta::put);
    ArrayNode tensors = JSON.arrayNode();
    Totals totals = new Totals();
    for (TensorInfo t : adapter.header().tensors().values()) {
      tensors.add(tensorNode(t));
      totals.add(t);
    }
    totals.writeTo(r);
    r.set("tensors", tensors);
    return r;
  }

  private static ObjectNode tensorNode(TensorInfo t) {
    ObjectNode o = JSON.objectNode();
    o.put("name", t.name());
    o.put("dtype", t.dtype().code());
    ArrayNode shape = o.putArray("shape");
    for (long d : t.shape()) {
      shape.add(d);
    }
    o.put("bytes", t.byteLength());
    return o;
  }

  private static String shortName(String file) {
    return file.substring(file.lastIndexOf('/') + 1);
  }

  /** Parameter and byte totals, overall and per dtype. */
  private static final class Totals {
    long tensors;
    long parameters;
    long bytes;
    final Map<String, long[]> byDtype = new TreeMap<>();

    void add(TensorInfo t) {
      tensors++;
      parameters += t.numel();
      bytes += t.byteLength();
      long[] d = byDtype.computeIfAbsent(t.dtype().code(), k -> new long[3]);
      d[0]++;
      d[1] += t.numel();
      d[2] += t.byteLength();
    }

    void writeTo(ObjectNode r) {
      ObjectNode total = r.putObject("totals");
      total.put("tensors", tensors);
      total.put("parameters", parameters);
      total.put("bytes", bytes);
      ObjectNode dt = total.putObject("by_dtype");
      for (Map.Entry<String, long[]> e : byDtype.entrySet()) {
        ObjectNode o = dt.putObject(e.getKey());
        o.put("tensors", e.getValue()[0]);
        o.put("parameters", e.getValue()[1]);
        o.put("bytes", e.getValue()[2]);
      }
    }
  }

  /** Renders a report tree as aligned text. */
  static void printText(ObjectNode r, PrintWriter out) {
    out.println(r.get("path").asText() + "  (" + r.get("kind").asText() + ")");
    for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      JsonNode v = e.getValue();
      if (k.equals("path") || k.equals("kind") || k.equals("tensors") || k.equals("modules")
          || k.equals("totals")) {
        continue;
      }
      if (v.isArray() && v.size() > 0 && v.get(0).isObject()) {
        out.println(k + ":");
        for (JsonNode o : v) {
          out.println("  " + inline(o));
        }
      } else if (v.isObject()) {
        out.println(k + ": " + (v.size() == 0 ? "(none)" : inline(v)));
      } else if (v.isArray()) {
        out.println(k + ": " + (v.size() == 0 ? "(none)" : join(v)));
      } else {
        out.println(k + ": " + (v.isNull() ? "(not set)" : v.asText()));
      }
    }
    JsonNode totals = r.get("totals");
    out.println("totals: " + totals.get("tensors").asLong() + " tensors, "
        + String.format("%,d", totals.get("parameters").asLong()) + " parameters, "
        + ByteSizes.human(totals.get("bytes").asLong()));
    for (Iterator<Map.Entry<String, JsonNode>> it = totals.get("by_dtype").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.println(String.format("  %-6s %6d tensors %,16d parameters %12s", e.getKey(),
          e.getValue().get("tensors").asLong(), e.getValue().get("parameters").asLong(),
          ByteSizes.human(e.getValue().get("bytes").asLong())));
    }
    JsonNode modules = r.get("modules");
    if (modules != null && modules.size() > 0) {
      out.println("modules:");
      for (JsonNode m : modules) {
        out.println(String.format("  %-60s rank %-3d alpha %-6s scale %-8s %d x %d%s",
            m.get("module").asText(), m.get("rank").asInt(), trim(m.get("alpha").asDouble()),
            trim(m.get("scale").asDouble()), m.get("out").asLong(), m.get("in").asLong(),
            m.get("embedding").asBoolean() ? " (embedding)" : ""));
      }
    }
    JsonNode tensors = r.get("tensors");
    if (tensors != null && tensors.size() > 0) {
      int width = 4;
      for (JsonNode t : tensors) {
        width = Math.max(width, t.get("name").asText().length());
      }
      out.println("tensors:");
      for (JsonNode t : tensors) {
        StringBuilder shape = new StringBuilder("[");
        for (int i = 0; i < t.get("shape").size(); i++) {
          shape.append(i > 0 ? ", " : "").append(t.get("shape").get(i).asLong());
        }
        shape.append(']');
        out.println(String.format("  %-" + width + "s  %-7s %-18s %12s%s", t.get("name").asText(),
            t.get("dtype").asText(), shape, ByteSizes.human(t.get("bytes").asLong()),
            t.has("shard") ? "  " + t.get("shard").asText() : ""));
      }
    }
  }

  private static String inline(JsonNode o) {
    StringBuilder sb = new StringBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      sb.append(sb.length() > 0 ? ", " : "").append(e.getKey()).append('=')
          .append(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
    }
    return sb.toString();
  }

  private static String join(JsonNode arr) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode v : arr) {
      sb.append(sb.length() > 0 ? ", " : "").append(v.asText());
    }
    return sb.toString();
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.format("%.6g", d);
  }
}
