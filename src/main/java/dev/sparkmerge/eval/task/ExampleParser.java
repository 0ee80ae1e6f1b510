package dev.sparkmerge.eval.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.eval.EvalException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Turns one non-blank line of a task file into an {@link Example}. The kind comes from the keys
 * (choices/answer: multiple choice; prompt_ids/completion_ids: pre-tokenized completion;
 * prompt/completion: completion; text: text; ids: pre-tokenized text); then the line must have
 * exactly that kind's keys, with the right types. Every error names the file, the line and, where
 * there is one, the key.
 */
final class ExampleParser {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final String file;
  private final int line;

  private ExampleParser(String file, int line) {
    this.file = file;
    this.line = line;
  }

  /** Parses {@code json}, line {@code line} (1-based) of {@code file}. */
  static Example parse(String file, int line, String json) {
    return new ExampleParser(file, line).parse(json);
  }

  private Example parse(String json) {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw fail(null, "not valid JSON (" + e.getOriginalMessage() + "); each line of a task"
          + " file holds one JSON object");
    }
    if (node == null || !node.isObject()) {
      throw fail(null, "expected a JSON object, found " + describe(node));
    }
    Example.Kind kind = kindOf(node);
    checkKeys(node, kind);
    switch (kind) {
      case TEXT:
        return Example.text(file, line, nonEmptyString(node, "text"));
      case COMPLETION:
        return Example.completion(file, line, string(node, "prompt"),
            nonEmptyString(node, "completion"));
      case CHOICE:
        return choice(node);
      case TEXT_IDS: {
        int[] ids = ids(node, "ids");
        if (ids.length < 2) {
          throw fail("ids", "needs at least 2 ids: the first is only context, so a single id"
              + " leaves nothing to score");
        }
        return Example.textIds(file, line, ids);
      }
      case COMPLETION_IDS: {
        int[] prompt = ids(node, "prompt_ids");
        if (prompt.length == 0) {
          throw fail("prompt_ids", "is empty: the first completion token needs at least one"
              + " token of context");
        }
        int[] completion = ids(node, "completion_ids");
        if (completion.length == 0) {
          throw fail("completion_ids", "is empty: there is nothing to score");
        }
        return Example.completionIds(file, line, prompt, completion);
      }
      default:
        throw new IllegalStateException(kind.name());
    }
  }

  /** Which kind the keys point to; the first matching rule wins, the key check comes after. */
  private Example.Kind kindOf(JsonNode node) {
    if (node.has("choices") || node.has("answer")) {
      return Example.Kind.CHOICE;
    }
    if (node.has("prompt_ids") || node.has("completion_ids")) {
      return Example.Kind.COMPLETION_IDS;
    }
    if (node.has("prompt") || node.has("completion")) {
      return Example.Kind.COMPLETION;
    }
    if (node.has("text")) {
      return Example.Kind.TEXT;
    }
    if (node.has("ids")) {
      return Example.Kind.TEXT_IDS;
    }
    String sets = Stream.of(Example.Kind.values())
        .map(k -> k.keys().stream().collect(Collectors.joining(", ", "{", "}")))
        .collect(Collectors.joining(" or "));
    throw fail(null, "cannot tell the kind of example from its keys " + fieldNames(node)
        + "; a line has the keys " + sets);
  }

  private void checkKeys(JsonNode node, Example.Kind kind) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!kind.keys().contains(key)) {
        throw fail(key, "unknown key for a " + kind.label() + " example (valid keys: "
            + String.join(", ", kind.keys()) + ")");
      }
    }
    for (String key : kind.keys()) {
      if (!node.has(key)) {
        throw fail(key, "missing; a " + kind.label() + " example has the keys "
            + String.join(", ", kind.keys()));
      }
    }
  }

  private Example choice(JsonNode node) {
    String prompt = string(node, "prompt");
    JsonNode array = node.get("choices");
    if (!array.isArray()) {
      throw fail("choices", "must be an array of strings, found " + describe(array));
    }
    if (array.size() < 2) {
      throw fail("choices", "has " + array.size() + " choice" + (array.size() == 1 ? "" : "s")
          + "; multiple choice needs at least 2");
    }
    List<String> choices = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      JsonNode c = array.get(i);
      if (!c.isTextual()) {
        throw fail("choices", "element " + i + " must be a string, found " + describe(c));
      }
      if (c.textValue().isEmpty()) {
        throw fail("choices", "element " + i + " is empty: an empty choice has no tokens to"
            + " score");
      }
      choices.add(c.textValue());
    }
    JsonNode a = node.get("answer");
    if (!a.isIntegralNumber() || !a.canConvertToInt()) {
      throw fail("answer", "must be an integer index into choices, found " + describe(a));
    }
    int answer = a.intValue();
    if (answer < 0 || answer >= choices.size()) {
      throw fail("answer", answer + " is out of range: there are " + choices.size()
          + " choices, so it must be 0 to " + (choices.size() - 1));
    }
    return Example.choice(file, line, prompt, choices, answer);
  }

  private String string(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (!v.isTextual()) {
      throw fail(key, "must be a string, found " + describe(v));
    }
    return v.textValue();
  }

  private String nonEmptyString(JsonNode node, String key) {
    String s = string(node, key);
    if (s.isEmpty()) {
      throw fail(key, "is empty: there is nothing to score");
    }
    return s;
  }

  /** An array of non-negative ints; the upper bound (the vocabulary) is checked when scoring. */
  private int[] ids(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (!v.isArray()) {
      throw fail(key, "must be an array of token ids, found " + describe(v));
    }
    int[] ids = new int[v.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode e = v.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt() || e.intValue() < 0) {
        throw fail(key, "element " + i + " must be a token id (an integer >= 0), found "
            + describe(e));
      }
      ids[i] = e.intValue();
    }
    return ids;
  }

  private EvalException fail(String key, String message) {
    String at = file + ": line " + line + (key == null ? "" : ", key \"" + key + "\"");
    return new EvalException(at + ": " + message + ".");
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** A short description of a JSON value for messages: its type and (shortened) text. */
  private static String describe(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    String text = node.toString();
    if (text.length() > 40) {
      text = text.substring(0, 37) + "...";
    }
    return text + " (" + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}
