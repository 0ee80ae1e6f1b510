package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL-backed tokenizer: the tiny byte-level one, a BOS-adding one, Hadoop paths, errors. */
class TextTokenizerTest {
  static final Path TINY_BASE =
      Path.of(System.getProperty("sparkmerge.models", "../shared/models"), "tiny-llama-base")
          .normalize();

  @TempDir Path dir;

  private final CheckpointFs fs = CheckpointFs.withDefaults();

  static TextTokenizer tiny() {
    return TextTokenizer.load(CheckpointFs.withDefaults(), TINY_BASE.toString());
  }

  /**
   * The tiny byte-level tokenizer plus a special token {@code <s>} (id 256) that a
   * TemplateProcessing post-processor puts before every text, as Llama's tokenizers do.
   */
  static byte[] bosTokenizerJson() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = (ObjectNode) mapper.readTree(TINY_BASE.resolve("tokenizer.json").toFile());
    ArrayNode added = root.putArray("added_tokens");
    added.addObject().put("id", 256).put("content", "<s>").put("single_word", false)
        .put("lstrip", false).put("rstrip", false).put("normalized", false)
        .put("special", true);
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode s = post.putObject("special_tokens").putObject("<s>");
    s.put("id", "<s>");
    s.putArray("ids").add(256);
    s.putArray("tokens").add("<s>");
    return mapper.writeValueAsBytes(root);
  }

  static TextTokenizer bos() throws IOException {
    return TextTokenizer.fromJson(bosTokenizerJson(), "bos tokenizer");
  }

  private static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      ids[i] = b[i] & 0xFF;
    }
    return ids;
  }

  @Test
  void tinyTokenizerIsByteLevel() {
    try (TextTokenizer t = tiny()) {
      assertArrayEquals(bytes("add 1 ="), t.encode("add 1 ="));
      String s = "cnt l hello = 2\n  é ✓ 🙂 a .";
      int[] ids = t.encode(s);
      assertArrayEquals(bytes(s), ids);
      assertEquals(s, t.decode(ids, 0, ids.length));
      assertEquals("l hello", t.decode(ids, 4, 11));
      assertFalse(t.addsBos());
      assertEquals(0, t.prefix().length);
      assertEquals(0, t.encode("").length);
    }
    // DJL was told to stay offline (unless the environment says otherwise).
    if (System.getenv(DjlSettings.OFFLINE_ENV) == null) {
      assertEquals("true", System.getProperty(DjlSettings.OFFLINE_PROPERTY));
    }
  }

  @Test
  void loadsThroughAHadoopUri() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.copy(TINY_BASE.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
    try (TextTokenizer t = TextTokenizer.load(fs, model.toUri().toString())) {
      assertTrue(model.toUri().toString().startsWith("file:"));
      assertArrayEquals(bytes("color llfu ="), t.encode("color llfu ="));
    }
  }

  @Test
  void missingTokenizerNamesTheModel() throws IOException {
    Path model = Files.createDirectories(dir.resolve("no-tokenizer"));
    EvalException e = assertThrows(EvalException.class,
        () -> TextTokenizer.load(fs, model.toString()));
    assertTrue(e.getMessage().startsWith(model + ": the model has no tokenizer.json"),
        e.getMessage());
    assertTrue(e.getMessage().contains("Text tasks need"), e.getMessage());
    assertTrue(e.getMessage().contains("\"ids\""), e.getMessage());
  }

  @Test
  void brokenTokenizerJson() throws IOException {
    Path model = Files.createDirectories(dir.resolve("broken"));
    Files.writeString(model.resolve("tokenizer.json"), "{\"model\": 3}");
    EvalException e = assertThrows(EvalException.class,
        () -> TextTokenizer.load(fs, model.toString()));
    assertTrue(e.getMessage().contains("cannot load the tokenizer"), e.getMessage());
  }

  @Test
  void truncationAndPaddingInTheFileAreIgnored() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = (ObjectNode) mapper.readTree(TINY_BASE.resolve("tokenizer.json").toFile());
    root.putObject("truncation").put("direction", "Right").put("max_length", 4)
        .put("strategy", "LongestFirst").put("stride", 0);
    ObjectNode padding = root.putObject("padding");
    padding.putObject("strategy").put("Fixed", 16);
    padding.put("direction", "Right").put("pad_id", 0).put("pad_type_id", 0)
        .put("pad_token", "\u0100").putNull("pad_to_multiple_of");
    try (TextTokenizer t = TextTokenizer.fromJson(mapper.writeValueAsBytes(root), "t")) {
      assertArrayEquals(bytes("abcdefgh"), t.encode("abcdefgh"));
    }
  }

  @Test
  void bosFromThePostProcessorBecomesThePrefix() throws IOException {
    try (TextTokenizer t = bos()) {
      assertTrue(t.addsBos());
      assertArrayEquals(new int[] {256}, t.prefix());
      assertArrayEquals(bytes("add 1 ="), t.encode("add 1 ="));
      int[] withBos = {256, 'a', 'b'};
      assertEquals("ab", t.decode(withBos, 0, 3)); // special tokens are left out
    }
  }
}
