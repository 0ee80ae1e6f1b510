package dev.sparkmerge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** `sparkmerge inspect` as a user runs it, on the real adapters in shared/models. */
class InspectCommandTest {
  /** Exit code and both output streams of one CLI run. */
  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  static Path models() {
    Path p = Path.of(System.getProperty("sparkmerge.models", "../shared/models"));
    assumeTrue(Files.isDirectory(p), "shared/models not present");
    return p;
  }

  static Stream<String> adapters() throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(models())) {
      s.filter(p -> Files.exists(p.resolve("adapter_config.json")))
          .forEach(p -> names.add(p.getFileName().toString()));
    }
    names.sort(null);
    return names.stream();
  }

  @ParameterizedTest
  @MethodSource("adapters")
  void inspectsEveryAdapter(String name) throws IOException {
    Path dir = models().resolve(name);
    Run text = cli("inspect", dir.toString());
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("(PEFT adapter)"), text.out());
    Run json = cli("inspect", "--json", dir.toString());
    assertEquals(0, json.code(), json.err());
    JsonNode r = new ObjectMapper().readTree(json.out());
    // Independent expectation: the tensor count from the file's own header, via Jackson.
    byte[] bytes = Files.readAllBytes(dir.resolve("adapter_model.safetensors"));
    long n = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, "UTF-8"));
    int tensors = header.size() - (header.has("__metadata__") ? 1 : 0);
    assertEquals(tensors, r.get("totals").get("tensors").asInt());
    assertEquals(tensors, r.get("tensors").size());
    JsonNode config = new ObjectMapper().readTree(dir.resolve("adapter_config.json").toFile());
    assertEquals(config.get("r").asInt(), r.get("r").asInt());
    assertEquals(config.get("lora_alpha").asDouble(), r.get("lora_alpha").asDouble());
    assertEquals(config.get("lora_alpha").asDouble() / config.get("r").asInt(),
        r.get("scale").asDouble(), 0.0);
  }

  @Test
  void gpt2AdapterTotalsMatchSources() throws IOException {
    Run run = cli("inspect", "--json", models().resolve("gpt2-lora-jasencarroll-clm").toString());
    JsonNode r = new ObjectMapper().readTree(run.out());
    // 12 layers × c_attn: A [8, 768] + B [2304, 8] = 6144 + 18432 parameters each.
    assertEquals(12 * (8 * 768 + 2304 * 8), r.get("totals").get("parameters").asLong());
    assertEquals(12, r.get("layers").asInt());
    assertEquals("c_attn", r.get("target_modules").get(0).asText());
    assertEquals(4.0, r.get("scale").asDouble(), 0.0); // alpha 32 / r 8
  }

  @Test
  void truncatedModelIsOneClearErrorLine() {
    Run run = cli("inspect", models().resolve("negative-truncated-all-MiniLM-L6-v2").toString());
    assertEquals(1, run.code());
    assertTrue(run.err().startsWith("error: "), run.err());
    assertTrue(run.err().contains("model.safetensors"), run.err());
    assertTrue(run.err().contains("truncated"), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
    assertFalse(run.err().contains("at dev.sparkmerge"), "no stack trace: " + run.err());
  }

  @Test
  void missingPathAndBadUsage(@TempDir Path tmp) {
    Run missing = cli("inspect", tmp.resolve("nope").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("no such file or directory"), missing.err());
    Run usage = cli("inspect");
    assertEquals(2, usage.code());
    assertTrue(usage.err().contains("PATH"), usage.err());
  }

  @Test
  void inspectsASingleFileWithTotalsPerDtype(@TempDir Path tmp) throws IOException {
    // Built by hand: an F32 [2, 3] and a BF16 [4] tensor.
    String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]}}";
    byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + h.length + 32)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h);
    Path file = tmp.resolve("w.safetensors");
    Files.write(file, buf.array());
    Run run = cli("inspect", "--json", file.toString());
    assertEquals(0, run.code(), run.err());
    JsonNode r = new ObjectMapper().readTree(run.out());
    assertEquals(10, r.get("totals").get("parameters").asLong());
    assertEquals(32, r.get("totals").get("bytes").asLong());
    assertEquals(6, r.get("totals").get("by_dtype").get("F32").get("parameters").asLong());
    assertEquals(8, r.get("totals").get("by_dtype").get("BF16").get("bytes").asLong());
    Run text = cli("inspect", file.toString());
    assertTrue(text.out().contains("a  ") && text.out().contains("[2, 3]"), text.out());
  }
}
