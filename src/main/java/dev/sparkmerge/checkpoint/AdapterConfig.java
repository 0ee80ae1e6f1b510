package dev.sparkmerge.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A PEFT {@code adapter_config.json} (reference/peft-lora.md §1): every field the merge needs, with
 * PEFT's defaults for missing ones; unknown fields are ignored, as PEFT does. {@code rank_pattern}
 * and {@code alpha_pattern} keep file order because the first matching pattern wins.
 */
public final class AdapterConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String FILE_NAME = "adapter_config.json";

  private final String file;
  private final String peftType;
  private final String baseModel;
  private final String taskType;
  private final int r;
  private final double loraAlpha;
  private final boolean useRslora;
  private final boolean useDora;
  private final LinkedHashMap<String, Integer> rankPattern;
  private final LinkedHashMap<String, Double> alphaPattern;
  private final List<String> targetModules;
  private final String targetModulesRegex;
  private final List<String> modulesToSave;
  private final boolean fanInFanOut;
  private final String bias;
  private final boolean loraBias;
  private final List<String> mergeBlockers;

  private AdapterConfig(String file, ObjectNode n) {
    this.file = file;
    this.peftType = text(n, "peft_type", "LORA");
    this.baseModel = text(n, "base_model_name_or_path", null);
    this.taskType = text(n, "task_type", null);
    this.r = integer(n, "r", 8);
    this.loraAlpha = number(n, "lora_alpha", 8);
    this.useRslora = bool(n, "use_rslora");
    this.useDora = bool(n, "use_dora");
    this.rankPattern = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : entries(n, "rank_pattern")) {
      requireInt(e.getValue(), "rank_pattern." + e.getKey());
      rankPattern.put(e.getKey(), e.getValue().asInt());
    }
    this.alphaPattern = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : entries(n, "alpha_pattern")) {
      requireNumber(e.getValue(), "alpha_pattern." + e.getKey());
      alphaPattern.put(e.getKey(), e.getValue().asDouble());
    }
    JsonNode targets = n.get("target_modules");
    if (targets != null && targets.isTextual()) {
      this.targetModules = Collections.emptyList();
      this.targetModulesRegex = targets.asText();
    } else {
      this.targetModules = strings(n, "target_modules");
      this.targetModulesRegex = null;
    }
    this.modulesToSave = strings(n, "modules_to_save");
    this.fanInFanOut = bool(n, "fan_in_fan_out");
    this.bias = text(n, "bias", "none");
    this.loraBias = bool(n, "lora_bias");
    this.mergeBlockers = findMergeBlockers(n);
    if (r <= 0) {
      throw error("'r' must be a positive integer, found " + r);
    }
  }

  /** Parses an adapter_config.json file. */
  public static AdapterConfig read(CheckpointFs fs, org.apache.hadoop.fs.Path path) {
    ObjectNode n = JsonFiles.readObject(fs, path, FILE_NAME);
    return new AdapterConfig(path.toString(), n);
  }

  /** Features whose adapters cannot be merged into the original base (reference §1.2). */
  private List<String> findMergeBlockers(ObjectNode n) {
    List<String> out = new ArrayList<>();
    if (!"LORA".equals(peftType)) {
      out.add("peft_type is " + peftType + "; only LORA adapters can be merged");
    }
    JsonNode init = n.get("init_lora_weights");
    if (init != null && init.isTextual()) {
      String mode = init.asText();
      if (mode.startsWith("pissa") || mode.equals("olora") || mode.equals("corda")
          || mode.equals("loftq") || mode.equals("lora_ga")) {
        out.add("init_lora_weights is '" + mode + "': the adapter only fits the residual base"
            + " its initialisation produced; convert it to ordinary LoRA with PEFT first");
      }
    }
    addIfSet(out, n, "layer_replication", "layer_replication duplicates layers; merging is not"
        + " meaningful");
    if (bool(n, "use_qalora")) {
      out.add("use_qalora: QALoRA adapters cannot be merged");
    }
    addIfSet(out, n, "alora_invocation_tokens", "activated LoRA (alora_invocation_tokens) cannot"
        + " be merged by design");
    addIfSet(out, n, "kasa_config", "KaSA adapters truncate the base weight; not supported");
    if (bool(n, "use_bdlora")) {
      out.add("use_bdlora: block-diagonal LoRA is not supported");
    }
    addIfSet(out, n, "arrow_config", "Arrow routing is not a static merge");
    addIfSet(out, n, "target_parameters", "target_parameters (LoRA on raw parameters) is not"
        + " supported yet");
    return Collections.unmodifiableList(out);
  }

  private static void addIfSet(List<String> out, ObjectNode n, String key, String why) {
    JsonNode v = n.get(key);
    if (v != null && !v.isNull() && !(v.isContainerNode() && v.size() == 0)) {
      out.add(why);
    }
  }

  /**
   * The rank for a module (path relative to the base model): the first {@code rank_pattern} key p
   * such that the whole name matches {@code (.*\.)?(p)$}, else an exact key, else {@code r}.
   */
  public int rankFor(String modulePath) {
    Integer v = matchPattern(rankPattern, modulePath, "rank_pattern");
    return v != null ? v : r;
  }

  /** The alpha for a module, by the same rules over {@code alpha_pattern}. */
  public double alphaFor(String modulePath) {
    Double v = matchPattern(alphaPattern, modulePath, "alpha_pattern");
    return v != null ? v : loraAlpha;
  }

  /** LoRA scaling s = alpha / r, or alpha / √r with rsLoRA; computed in double. */
  public double scaleFor(String modulePath) {
    double rank = rankFor(modulePath);
    double alpha = alphaFor(modulePath);
    return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  private <T> T matchPattern(LinkedHashMap<String, T> patterns, String name, String field) {
    for (Map.Entry<String, T> e : patterns.entrySet()) {
      Pattern p;
      try {
        p = Pattern.compile("(.*\\.)?(" + e.getKey() + ")$");
      } catch (PatternSyntaxException ex) {
        throw error("'" + field + "' key '" + e.getKey() + "' is not a valid regular expression: "
            + ex.getDescription());
      }
      if (p.matcher(name).matches()) {
        return e.getValue();
      }
    }
    return patterns.get(name);
  }

  private CheckpointException error(String what) {
    return new CheckpointException(file + ": " + what + ".");
  }

  private static String text(ObjectNode n, String key, String def) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? def : v.asText();
  }

  private int integer(ObjectNode n, String key, int def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    requireInt(v, key);
    return v.asInt();
  }

  private double number(ObjectNode n, String key, double def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    requireNumber(v, key);
    return v.asDouble();
  }

  private void requireInt(JsonNode v, String key) {
    if (!v.canConvertToInt() || !v.isIntegralNumber()) {
      throw error("'" + key + "' must be an integer, found " + v);
    }
  }

  private void requireNumber(JsonNode v, String key) {
    if (!v.isNumber()) {
      throw error("'" + key + "' must be a number, found " + v);
    }
  }

  private static boolean bool(ObjectNode n, String key) {
    JsonNode v = n.get(key);
    return v != null && v.asBoolean(false);
  }

  private static List<String> strings(ObjectNode n, String key) {
    JsonNode v = n.get(key);
    List<String> out = new ArrayList<>();
    if (v != null && v.isArray()) {
      for (JsonNode e : v) {
        out.add(e.asText());
      }
    } else if (v != null && v.isTextual()) {
      out.add(v.asText());
    }
    return Collections.unmodifiableList(out);
  }

  private static Iterable<Map.Entry<String, JsonNode>> entries(ObjectNode n, String key) {
    JsonNode v = n.get(key);
    if (v == null || !v.isObject()) {
      return Collections.emptyList();
    }
    List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  public String file() {
    return file;
  }

  public String peftType() {
    return peftType;
  }

  public String baseModel() {
    return baseModel;
  }

  public String taskType() {
    return taskType;
  }

  public int r() {
    return r;
  }

  public double loraAlpha() {
    return loraAlpha;
  }

  public boolean useRslora() {
    return useRslora;
  }

  public boolean useDora() {
    return useDora;
  }

  public Map<String, Integer> rankPattern() {
    return Collections.unmodifiableMap(rankPattern);
  }

  public Map<String, Double> alphaPattern() {
    return Collections.unmodifiableMap(alphaPattern);
  }

  /** target_modules as a list (empty when absent or given as a regex). */
  public List<String> targetModules() {
    return targetModules;
  }

  /** target_modules when given as a full-match regex string, else null. */
  public String targetModulesRegex() {
    return targetModulesRegex;
  }

  public List<String> modulesToSave() {
    return modulesToSave;
  }

  public boolean fanInFanOut() {
    return fanInFanOut;
  }

  public String bias() {
    return bias;
  }

  public boolean loraBias() {
    return loraBias;
  }

  /** Reasons this adapter cannot be merged; empty when it can. */
  public List<String> mergeBlockers() {
    return mergeBlockers;
  }
}
