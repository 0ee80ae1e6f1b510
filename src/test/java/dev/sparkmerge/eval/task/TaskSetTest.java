package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Task files: every kind of line, folders, max_examples, and every kind of bad input. */
class TaskSetTest {
  static final Path TINY_TASKS =
      Path.of(System.getProperty("sparkmerge.models", "../shared/models"), "..", "eval",
          "tiny-tasks").normalize();

  @TempDir Path dir;

  private final CheckpointFs fs = CheckpointFs.withDefaults();

  private Path write(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  private TaskSet load(Path... paths) {
    return TaskSet.load(fs, Stream.of(paths).map(Path::toString).toList(), 0);
  }

  @Test
  void parsesEveryKind() throws Exception {
    Path text = write("t.jsonl", "{\"text\": \"hello world\"}\n\n{\"text\": \"é\\n\"}\n");
    Path comp = write("c.jsonl", "{\"prompt\": \"add 1 =\", \"completion\": \" 2\\n\"}\n");
    Path choice = write("m.jsonl",
        "{\"prompt\": \"q\", \"choices\": [\" a\", \" b\", \" c\"], \"answer\": 2}\n");
    Path ids = write("i.jsonl", "{\"ids\": [1, 2, 3]}\n");
    Path cids = write("ci.jsonl", "{\"prompt_ids\": [7], \"completion_ids\": [8, 9]}\n");
    TaskSet set = load(text, comp, choice, ids, cids);

    assertEquals(List.of("c", "ci", "i", "m", "t"),
        set.tasks().stream().map(Task::name).toList());
    assertTrue(set.needsTokenizer());

    Task t = set.tasks().get(4);
    assertEquals(Example.Kind.TEXT, t.kind());
    assertEquals(2, t.examples().size());
    assertEquals("hello world", t.examples().get(0).text());
    assertEquals(1, t.examples().get(0).line());
    assertEquals("é\n", t.examples().get(1).text());
    assertEquals(3, t.examples().get(1).line()); // the blank line 2 counts
    assertEquals(fs.resolve(text.toString()).toString(), t.file());
    assertEquals(t.file(), t.examples().get(0).file());
    assertEquals(sha256(text), t.sha256());
    assertTrue(t.needsTokenizer());
    assertFalse(t.hasExactMatch());
    assertFalse(t.hasChoices());

    Task c = set.tasks().get(0);
    assertEquals(Example.Kind.COMPLETION, c.kind());
    assertEquals("add 1 =", c.examples().get(0).prompt());
    assertEquals(" 2\n", c.examples().get(0).completion());
    assertTrue(c.hasExactMatch());

    Task m = set.tasks().get(3);
    assertEquals(Example.Kind.CHOICE, m.kind());
    assertEquals(List.of(" a", " b", " c"), m.examples().get(0).choices());
    assertEquals(2, m.examples().get(0).answer());
    assertTrue(m.hasChoices());
    assertFalse(m.hasExactMatch());

    Task i = set.tasks().get(2);
    assertEquals(Example.Kind.TEXT_IDS, i.kind());
    assertArrayEquals(new int[] {1, 2, 3}, i.examples().get(0).ids());
    assertFalse(i.needsTokenizer());

    Task ci = set.tasks().get(1);
    assertEquals(Example.Kind.COMPLETION_IDS, ci.kind());
    assertArrayEquals(new int[] {7}, ci.examples().get(0).promptIds());
    assertArrayEquals(new int[] {8, 9}, ci.examples().get(0).completionIds());
    assertTrue(ci.hasExactMatch());
    assertFalse(ci.needsTokenizer());
  }

  @Test
  void preTokenizedTasksNeedNoTokenizer() throws IOException {
    TaskSet set = load(write("i.jsonl", "{\"ids\": [1, 2]}\n"));
    assertFalse(set.needsTokenizer());
    set.requireTokenizer(false, "m"); // no error
  }

  @Test
  void folderTasksInNameOrderNotRecursive() throws IOException {
    write("tasks/b.jsonl", "{\"text\": \"b\"}\n");
    write("tasks/a.jsonl", "{\"text\": \"a\"}\n");
    write("tasks/notes.txt", "not a task\n");
    write("tasks/sub/c.jsonl", "{\"text\": \"c\"}\n");
    TaskSet set = load(dir.resolve("tasks"));
    assertEquals(List.of("a", "b"), set.tasks().stream().map(Task::name).toList());
  }

  @Test
  void maxExamplesKeepsTheFirstButChecksAll() throws Exception {
    Path p = write("t.jsonl", "{\"text\": \"1\"}\n{\"text\": \"2\"}\n\n{\"text\": \"3\"}\n");
    TaskSet set = TaskSet.load(fs, List.of(p.toString()), 2);
    assertEquals(List.of("1", "2"),
        set.tasks().get(0).examples().stream().map(Example::text).toList());
    assertEquals(sha256(p), set.tasks().get(0).sha256());
    assertEquals(3, TaskSet.load(fs, List.of(p.toString()), 0).tasks().get(0).examples().size());

    Path bad = write("bad.jsonl", "{\"text\": \"1\"}\n{\"text\": \"2\"}\n{\"text\": 3}\n");
    EvalException e = assertThrows(EvalException.class,
        () -> TaskSet.load(fs, List.of(bad.toString()), 1));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
  }

  @Test
  void byteOrderMarkAndCrLfAreAccepted() throws IOException {
    Path p = write("t.jsonl", "\uFEFF{\"text\": \"a\"}\r\n{\"text\": \"b\"}\r\n");
    assertEquals(List.of("a", "b"),
        load(p).tasks().get(0).examples().stream().map(Example::text).toList());
  }

  static Stream<Arguments> badLines() {
    return Stream.of(
        Arguments.of("{\"text\": \"a\"", 1, null, "not valid JSON"),
        Arguments.of("{\"text\": \"a\"} {\"text\": \"b\"}", 1, null, "not valid JSON"),
        Arguments.of("{\"text\": \"a\", \"text\": \"b\"}", 1, null, "Duplicate"),
        Arguments.of("[\"a\"]", 1, null, "expected a JSON object"),
        Arguments.of("{\"question\": \"a\"}", 1, null, "cannot tell the kind"),
        Arguments.of("{\"prompt\": \"a\"}", 1, "completion", "missing"),
        Arguments.of("{\"completion\": \"a\"}", 1, "prompt", "missing"),
        Arguments.of("{\"prompt\": 1, \"completion\": \"b\"}", 1, "prompt", "must be a string"),
        Arguments.of("{\"prompt\": \"a\", \"completion\": \"b\", \"id\": 3}", 1, "id",
            "valid keys: prompt, completion"),
        Arguments.of("{\"text\": \"a\", \"source\": \"x\"}", 1, "source", "valid keys: text"),
        Arguments.of("{\"prompt\": \"a\", \"completion\": \"\"}", 1, "completion", "empty"),
        Arguments.of("{\"text\": \"\"}", 1, "text", "empty"),
        Arguments.of("{\"text\": [1]}", 1, "text", "must be a string"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"b\", \"c\"], \"answer\": 3}", 1,
            "answer", "out of range"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": -1}", 1,
            "answer", "out of range"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 1.5}", 1,
            "answer", "integer"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"1\"}", 1,
            "answer", "integer"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\"], \"answer\": 0}", 1, "choices",
            "at least 2"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"\"], \"answer\": 0}", 1,
            "choices", "empty"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": \"a b\", \"answer\": 0}", 1, "choices",
            "array"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", 2], \"answer\": 0}", 1,
            "choices", "element 1"),
        Arguments.of("{\"choices\": [\"a\", \"b\"], \"answer\": 0}", 1, "prompt", "missing"),
        Arguments.of("{\"prompt\": \"q\", \"choices\": [\"a\", \"b\"]}", 1, "answer", "missing"),
        Arguments.of("{\"ids\": [1, -2]}", 1, "ids", "element 1"),
        Arguments.of("{\"ids\": [1, 2.5]}", 1, "ids", "element 1"),
        Arguments.of("{\"ids\": [1]}", 1, "ids", "at least 2"),
        Arguments.of("{\"ids\": \"1 2\"}", 1, "ids", "array"),
        Arguments.of("{\"prompt_ids\": [], \"completion_ids\": [1]}", 1, "prompt_ids", "empty"),
        Arguments.of("{\"prompt_ids\": [1], \"completion_ids\": []}", 1, "completion_ids",
            "empty"),
        Arguments.of("{\"prompt_ids\": [1]}", 1, "completion_ids", "missing"),
        Arguments.of("{\"prompt_ids\": [1], \"completion\": \"a\"}", 1, "completion",
            "valid keys: prompt_ids, completion_ids"),
        // An error after good lines names its own line.
        Arguments.of("{\"text\": \"a\"}\n\n{\"text\": null}", 3, "text", "must be a string"),
        Arguments.of("{\"text\": \"a\"}\n{\"prompt\": \"a\", \"completion\": \"b\"}", 2, null,
            "line 1 is a text example"));
  }

  @ParameterizedTest
  @MethodSource("badLines")
  void badLineNamesFileLineAndKey(String content, int line, String key, String what)
      throws IOException {
    Path good = write("good.jsonl", "{\"text\": \"fine\"}\n");
    Path bad = write("bad.jsonl", content + "\n");
    EvalException e = assertThrows(EvalException.class, () -> load(good, bad));
    String m = e.getMessage();
    assertTrue(m.startsWith(fs.resolve(bad.toString()) + ": line " + line), m);
    if (key != null) {
      assertTrue(m.contains("key \"" + key + "\""), m);
    }
    assertTrue(m.contains(what), m);
  }

  @Test
  void invalidUtf8NamesTheLine() throws IOException {
    Path p = dir.resolve("u.jsonl");
    byte[] line1 = "{\"text\": \"a\"}\n{\"text\": \"".getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[line1.length + 3];
    System.arraycopy(line1, 0, all, 0, line1.length);
    all[line1.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
    all[line1.length + 1] = '"';
    all[line1.length + 2] = '}';
    Files.write(p, all);
    EvalException e = assertThrows(EvalException.class, () -> load(p));
    assertTrue(e.getMessage().contains("line 2: not valid UTF-8"), e.getMessage());
  }

  @Test
  void fileWithoutExamples() throws IOException {
    Path blank = write("blank.jsonl", "\n  \n\n");
    EvalException e = assertThrows(EvalException.class, () -> load(blank));
    assertTrue(e.getMessage().contains("blank.jsonl: no examples"), e.getMessage());
    Path empty = write("empty.jsonl", "");
    assertThrows(EvalException.class, () -> load(empty));
  }

  @Test
  void twoFilesWithOneName() throws IOException {
    Path a = write("x/same.jsonl", "{\"text\": \"a\"}\n");
    Path b = write("y/same.jsonl", "{\"text\": \"b\"}\n");
    EvalException e = assertThrows(EvalException.class, () -> load(a, dir.resolve("y")));
    assertTrue(e.getMessage().contains("\"same\""), e.getMessage());
    assertTrue(e.getMessage().contains(a.toString()) && e.getMessage().contains(b.toString()),
        e.getMessage());
    // The same file twice is a duplicate too.
    assertThrows(EvalException.class, () -> load(a, a));
  }

  @Test
  void badPaths() throws IOException {
    EvalException missing = assertThrows(EvalException.class, () -> load(dir.resolve("no")));
    assertTrue(missing.getMessage().contains("no such task file or folder"));
    Files.createDirectories(dir.resolve("empty"));
    EvalException empty = assertThrows(EvalException.class, () -> load(dir.resolve("empty")));
    assertTrue(empty.getMessage().contains("no .jsonl task files"));
    Path txt = write("t.txt", "{\"text\": \"a\"}\n");
    EvalException ext = assertThrows(EvalException.class, () -> load(txt));
    assertTrue(ext.getMessage().contains("must end in .jsonl"));
    assertThrows(EvalException.class, () -> TaskSet.load(fs, List.of(), 0));
  }

  @Test
  void missingTokenizerNamesTheFirstTextExample() throws IOException {
    Path ids = write("a.jsonl", "{\"ids\": [1, 2]}\n");
    Path comp = write("b.jsonl", "\n{\"prompt\": \"p\", \"completion\": \"c\"}\n");
    TaskSet set = load(ids, comp);
    set.requireTokenizer(true, "m");
    EvalException e = assertThrows(EvalException.class,
        () -> set.requireTokenizer(false, "models/m"));
    String m = e.getMessage();
    assertTrue(m.startsWith(fs.resolve(comp.toString()) + ": line 2, key \"prompt\""), m);
    assertTrue(m.contains("models/m has no tokenizer.json"), m);
  }

  @Test
  void tinyTasksLoad() {
    TaskSet set = TaskSet.load(fs, List.of(TINY_TASKS.toString()), 0);
    assertEquals(List.of("add", "animal", "choice", "code", "color", "count", "text"),
        set.tasks().stream().map(Task::name).toList());
    for (Task t : set.tasks()) {
      Example.Kind want = t.name().equals("choice") ? Example.Kind.CHOICE
          : t.name().equals("text") ? Example.Kind.TEXT : Example.Kind.COMPLETION;
      assertEquals(want, t.kind(), t.name());
      assertEquals(t.name().equals("text") ? 100 : 200, t.examples().size(), t.name());
    }
    Example first = set.tasks().get(0).examples().get(0);
    assertEquals("add 240 370 =", first.prompt());
    assertEquals(" 610\n", first.completion());
    assertEquals(5, TaskSet.load(fs, List.of(TINY_TASKS.resolve("choice.jsonl").toString()), 5)
        .tasks().get(0).examples().size());
  }

  @Test
  void serializableForSpark() throws Exception {
    TaskSet set = TaskSet.load(fs, List.of(TINY_TASKS.toString()), 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(set);
    }
    TaskSet copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (TaskSet) in.readObject();
    }
    assertEquals(set.tasks().size(), copy.tasks().size());
    Task choice = copy.tasks().get(2);
    assertEquals(set.tasks().get(2).sha256(), choice.sha256());
    assertEquals(set.tasks().get(2).examples().get(1).choices(),
        choice.examples().get(1).choices());
    assertEquals(2, choice.examples().get(1).line());
  }

  private static String sha256(Path p) throws Exception {
    return HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
  }
}
