package dev.sparkmerge.eval.task;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.EvalException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The tasks of one evaluation, loaded and checked before anything is scored. A path names a
 * {@code .jsonl} file or a folder whose {@code .jsonl} files (not those of its subfolders) are
 * tasks, taken in name order. Any bad line, an empty file or two files with the same task name is
 * an {@link EvalException}, and no task set is returned.
 */
public final class TaskSet implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<Task> tasks;

  private TaskSet(List<Task> tasks) {
    this.tasks = List.copyOf(tasks);
  }

  /** A task set of already-built tasks (sorted by name here; names must be unique). */
  public static TaskSet of(List<Task> tasks) {
    List<Task> sorted = new ArrayList<>(tasks);
    sorted.sort(Comparator.comparing(Task::name));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
        throw duplicate(sorted.get(i - 1).file(), sorted.get(i).file(), sorted.get(i).name());
      }
    }
    return new TaskSet(sorted);
  }

  /**
   * Loads the task files at {@code paths} (files or folders, any Hadoop URI).
   *
   * @param maxExamples keep each file's first this many examples; {@code <= 0} keeps all
   */
  public static TaskSet load(CheckpointFs fs, List<String> paths, int maxExamples) {
    if (paths.isEmpty()) {
      throw new EvalException("No task files given: name .jsonl files or folders of them.");
    }
    List<Path> files = new ArrayList<>();
    for (String location : paths) {
      files.addAll(taskFiles(fs, location));
    }
    Map<String, Path> seen = new HashMap<>();
    for (Path f : files) {
      Path before = seen.putIfAbsent(TaskFileReader.taskName(f), f);
      if (before != null) {
        throw duplicate(before.toString(), f.toString(), TaskFileReader.taskName(f));
      }
    }
    List<Task> tasks = new ArrayList<>();
    for (Path f : files) {
      tasks.add(TaskFileReader.read(fs, f, maxExamples));
    }
    return of(tasks);
  }

  /** The files a location stands for: itself, or a folder's {@code .jsonl} files by name. */
  private static List<Path> taskFiles(CheckpointFs fs, String location) {
    Path path = fs.resolve(location);
    FileStatus status = fs.statusOrNull(path);
    if (status == null) {
      throw new EvalException(location + ": no such task file or folder.");
    }
    if (status.isFile()) {
      if (!path.getName().endsWith(TaskFileReader.EXTENSION)) {
        throw new EvalException(location + ": a task file's name must end in "
            + TaskFileReader.EXTENSION + " (one JSON example per line).");
      }
      return List.of(path);
    }
    FileStatus[] children;
    try {
      children = fs.fileSystem(path).listStatus(path);
    } catch (IOException e) {
      throw new EvalException(location + ": cannot list the task folder: " + e.getMessage(), e);
    }
    List<Path> files = new ArrayList<>();
    Arrays.stream(children)
        .filter(c -> c.isFile() && c.getPath().getName().endsWith(TaskFileReader.EXTENSION))
        .map(FileStatus::getPath)
        .sorted(Comparator.comparing(Path::getName))
        .forEach(files::add);
    if (files.isEmpty()) {
      throw new EvalException(location + ": the folder holds no " + TaskFileReader.EXTENSION
          + " task files (subfolders are not searched).");
    }
    return files;
  }

  private static EvalException duplicate(String first, String second, String name) {
    return new EvalException("Two task files are both named \"" + name + "\": " + first
        + " and " + second + ". Task names (file names without .jsonl) must be unique; rename"
        + " one of them.");
  }

  /** The tasks, sorted by name. */
  public List<Task> tasks() {
    return tasks;
  }

  /** True if some task holds text and so needs the model's tokenizer. */
  public boolean needsTokenizer() {
    return tasks.stream().anyMatch(Task::needsTokenizer);
  }

  /**
   * Fails, naming the first text example, if some task needs a tokenizer and the model has
   * none. Called once per model before scoring, so that nothing is evaluated in vain.
   *
   * @param model the model as the user named it (for the message)
   */
  public void requireTokenizer(boolean modelHasTokenizer, String model) {
    if (modelHasTokenizer) {
      return;
    }
    for (Task t : tasks) {
      if (t.needsTokenizer()) {
        throw t.examples().get(0).missingTokenizer(model);
      }
    }
  }
}
