package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** The config hash: same meaning ⇒ same hash; any changed value ⇒ a different one. */
class ConfigHashTest {
  private static final String BLOCK = String.join("\n",
      "# a TIES merge",
      "merge_method: ties",
      "base_model: base",
      "models:",
      "  - model: a",
      "    parameters:",
      "      weight: 0.5",
      "      density: [0.2, 0.8]",
      "  - model: b",
      "    parameters:",
      "      density: 0.3",
      "      weight:",
      "        - filter: mlp",
      "          value: 1",
      "        - value: 0.25",
      "parameters:",
      "  normalize: true",
      "dtype: bfloat16",
      "");

  private static String hash(String yaml) {
    return Configs.load(yaml).configHash();
  }

  @Test
  void formattingCommentsKeyOrderAndNumberSpellingDoNotMatter() {
    String flow = "{dtype: torch.bfloat16, parameters: {normalize: 1}, models: ["
        + "{parameters: {density: ['2e-1', 0.80], weight: 5e-1}, model: a},"
        + "{model: b, parameters: {weight: [{value: 1.0, filter: mlp}, {value: .25}],"
        + " density: [0.3]}}], base_model: base, merge_method: ties, seed: 42}";
    String h = hash(BLOCK);
    assertEquals(64, h.length());
    assertTrue(h.matches("[0-9a-f]{64}"));
    assertEquals(h, hash(flow));
    assertEquals(h, hash(BLOCK.replace("# a TIES merge", "\n\n# another comment\n")));
  }

  @Test
  void anyChangedValueChangesTheHash() {
    String h = hash(BLOCK);
    assertNotEquals(h, hash(BLOCK.replace("weight: 0.5", "weight: 0.6")));
    assertNotEquals(h, hash(BLOCK.replace("[0.2, 0.8]", "[0.8, 0.2]")));
    assertNotEquals(h, hash(BLOCK.replace("filter: mlp", "filter: self_attn")));
    assertNotEquals(h, hash(BLOCK.replace("dtype: bfloat16", "dtype: float16")));
    assertNotEquals(h, hash(BLOCK + "seed: 7\n"));
    assertNotEquals(h, hash(BLOCK + "out_dtype: float32\n"));
    assertNotEquals(h, hash(BLOCK.replace("model: a", "model: a+lora")));
    assertNotEquals(h, hash(BLOCK.replace("normalize: true", "normalize: false")));
    // Model order is meaningful (it is the order inputs reach the method).
    String swapped = BLOCK.replace("model: a", "model: X").replace("model: b", "model: a")
        .replace("model: X", "model: b");
    assertNotEquals(h, hash(swapped));
  }

  @Test
  void sourceTextIsKeptAsGiven() {
    assertEquals(BLOCK, Configs.load(BLOCK).sourceText());
  }

  @Test
  void specsSurviveJavaSerialization() throws Exception {
    JobSpec job = Configs.load(BLOCK);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(job);
    }
    JobSpec copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (JobSpec) in.readObject();
    }
    assertEquals(job.configHash(), copy.configHash());
    SliceSpec s = copy.slices().get(0);
    assertEquals(0.25, ParameterResolver.perModel("weight", copy, s, s.sources().get(1),
        "model.layers.0.self_attn.q_proj.weight", 0), 0);
  }
}
