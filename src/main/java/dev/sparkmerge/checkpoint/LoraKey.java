package dev.sparkmerge.checkpoint;

/**
 * One LoRA tensor key, split by PEFT's grammar (reference/peft-lora.md §2.2) into the module path
 * and the leaf. Keys that are not LoRA factors (full tensors) do not parse.
 */
final class LoraKey {
  enum Leaf { A, B, B_BIAS, EMBEDDING_A, EMBEDDING_B, MAGNITUDE }

  private static final String[][] SUFFIXES = {
      {".lora_A.weight", "A"},
      {".lora_B.weight", "B"},
      {".lora_B.bias", "B_BIAS"},
      {".lora_embedding_A", "EMBEDDING_A"},
      {".lora_embedding_B", "EMBEDDING_B"},
      {".lora_magnitude_vector", "MAGNITUDE"},
      {".lora_magnitude_vector.weight", "MAGNITUDE"}};

  private final String modulePath;
  private final Leaf leaf;

  private LoraKey(String modulePath, Leaf leaf) {
    this.modulePath = modulePath;
    this.leaf = leaf;
  }

  /** Parses a key without the {@code base_model.model.} prefix; null for a non-LoRA tensor. */
  static LoraKey parse(String key) {
    for (String[] s : SUFFIXES) {
      if (key.endsWith(s[0]) && key.length() > s[0].length()) {
        return new LoraKey(key.substring(0, key.length() - s[0].length()), Leaf.valueOf(s[1]));
      }
    }
    return null;
  }

  String modulePath() {
    return modulePath;
  }

  Leaf leaf() {
    return leaf;
  }
}
