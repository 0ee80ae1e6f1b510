package dev.sparkmerge.eval.task;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * Reads one JSONL task file from any Hadoop file system in a single streaming pass: the lines
 * become examples and the bytes go through SHA-256 on the way. The whole file is checked even when
 * only its first examples will be evaluated, so a bad line fails the run whatever max_examples is.
 */
final class TaskFileReader {
  static final String EXTENSION = ".jsonl";

  private TaskFileReader() {}

  /** The task name of a file: its name without {@code .jsonl}. */
  static String taskName(Path file) {
    String name = file.getName();
    return name.endsWith(EXTENSION) ? name.substring(0, name.length() - EXTENSION.length())
        : name;
  }

  /**
   * Reads and checks {@code path}, keeping its first {@code maxExamples} examples (all if
   * {@code maxExamples <= 0}).
   */
  static Task read(CheckpointFs fs, Path path, int maxExamples) {
    String file = path.toString();
    MessageDigest sha = sha256();
    List<Example> examples = new ArrayList<>();
    int lineNo = 0;
    try (InputStream in = new DigestInputStream(fs.fileSystem(path).open(path), sha)) {
      LineBytes bytes = new LineBytes(in);
      CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      while (bytes.next()) {
        lineNo++;
        String line;
        try {
          line = bytes.decode(utf8);
        } catch (CharacterCodingException e) {
          throw new EvalException(file + ": line " + lineNo + ": not valid UTF-8; task files"
              + " are UTF-8 text.");
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1); // a byte order mark some editors write
        }
        if (line.isBlank()) {
          continue;
        }
        Example e = ExampleParser.parse(file, lineNo, line);
        if (!examples.isEmpty() && e.kind() != examples.get(0).kind()) {
          Example first = examples.get(0);
          throw new EvalException(file + ": line " + lineNo + ": a " + e.kind().label()
              + " example (keys " + String.join(", ", e.kind().keys()) + "), but line "
              + first.line() + " is a " + first.kind().label() + " example; a task file"
              + " holds one kind of example.");
        }
        examples.add(e);
      }
    } catch (IOException e) {
      throw new EvalException(file + ": cannot read the task file: " + e.getMessage(), e);
    }
    if (examples.isEmpty()) {
      throw new EvalException(file + ": no examples (the file is empty or all blank lines).");
    }
    if (maxExamples > 0 && examples.size() > maxExamples) {
      examples = examples.subList(0, maxExamples);
    }
    return new Task(taskName(path), file, HexFormat.of().formatHex(sha.digest()),
        examples.get(0).kind(), examples);
  }

  /**
   * The bytes of one line at a time, split at '\n' (a '\r' before it is dropped), so that a
   * UTF-8 error is found in the line that holds it (a decoding reader reads ahead).
   */
  private static final class LineBytes {
    private final InputStream in;
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] line = new byte[1024];
    private int length;

    LineBytes(InputStream in) {
      this.in = in;
    }

    /** Reads the next line's bytes; false at the end of the stream. */
    boolean next() throws IOException {
      length = 0;
      boolean any = false;
      while (true) {
        if (pos == limit) {
          limit = in.read(chunk);
          pos = 0;
          if (limit <= 0) {
            limit = 0;
            break;
          }
        }
        any = true;
        byte b = chunk[pos++];
        if (b == '\n') {
          break;
        }
        if (length == line.length) {
          line = Arrays.copyOf(line, length * 2);
        }
        line[length++] = b;
      }
      if (length > 0 && line[length - 1] == '\r') {
        length--;
      }
      return any;
    }

    String decode(CharsetDecoder utf8) throws CharacterCodingException {
      return utf8.decode(ByteBuffer.wrap(line, 0, length)).toString();
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
