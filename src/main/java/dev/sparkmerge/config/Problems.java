package dev.sparkmerge.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Collects config problems as {@code file:line:column: key.path: message} so that all of them are
 * reported at once, before any model is read, in file order.
 */
final class Problems {
  private final String sourceName;
  private final List<Entry> list = new ArrayList<>();
  private int document;

  /** A message with its position, so problems can be listed in file order. */
  private record Entry(int document, long line, long column, String text) {}
  /** "" for single-document files, else e.g. "[document 2] " (lines already point at the spot). */
  private String documentLabel = "";

  Problems(String sourceName) {
    this.sourceName = sourceName == null ? "<config>" : sourceName;
  }

  void setDocument(int index, boolean several) {
    document = index;
    documentLabel = several ? "[document " + (index + 1) + "] " : "";
  }

  /** A problem at {@code node} (null when there is no node, e.g. a missing key). */
  void add(Node node, String path, String message) {
    add(node == null ? null : node.getStartMark(), path, message);
  }

  void add(Mark mark, String path, String message) {
    StringBuilder sb = new StringBuilder(sourceName);
    if (mark != null) {
      sb.append(':').append(mark.getLine() + 1).append(':').append(mark.getColumn() + 1);
    }
    sb.append(": ").append(documentLabel);
    if (path != null && !path.isEmpty()) {
      sb.append(path).append(": ");
    }
    sb.append(message);
    // Problems without a position (a missing key) sort after those of their document.
    list.add(new Entry(document, mark == null ? Long.MAX_VALUE : mark.getLine(),
        mark == null ? 0 : mark.getColumn(), sb.toString()));
  }

  boolean isEmpty() {
    return list.isEmpty();
  }

  int size() {
    return list.size();
  }

  void throwIfAny() {
    if (!list.isEmpty()) {
      List<Entry> sorted = new ArrayList<>(list);
      sorted.sort(Comparator.comparingInt(Entry::document).thenComparingLong(Entry::line)
          .thenComparingLong(Entry::column)); // stable: same spot keeps discovery order
      List<String> texts = new ArrayList<>();
      for (Entry e : sorted) {
        texts.add(e.text());
      }
      throw new ConfigException(texts);
    }
  }
}
