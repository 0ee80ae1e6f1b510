package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.eval.model.CausalLm;
import dev.sparkmerge.eval.model.CausalLms;
import dev.sparkmerge.eval.task.TextTokenizer;
import java.util.HashMap;
import java.util.Map;

/**
 * The models an executor JVM holds for evaluation tasks: each model's float32 weights are loaded
 * once and shared by every task (and thread) that scores it. Evaluation runs one model per Spark
 * job, so when a task asks for another model, the models no running task uses are released first:
 * an executor holds one model at a time, two only while the tasks of two jobs overlap.
 */
final class ExecutorModels {
  /** A loaded model and how many running tasks use it. */
  private static final class Entry {
    CausalLm model;
    TextTokenizer tokenizer;
    boolean tokenizerLoaded;
    int users;
  }

  private static final Map<String, Entry> LOADED = new HashMap<>();

  private ExecutorModels() {}

  /** The model (loaded on first use by this JVM); give it back with {@link #release}. */
  static CausalLm acquire(CheckpointFs fs, EvalSubject subject) {
    Entry e;
    synchronized (LOADED) {
      LOADED.entrySet().removeIf(other -> other.getValue().users == 0
          && !other.getKey().equals(subject.weightsKey()));
      e = LOADED.computeIfAbsent(subject.weightsKey(), k -> new Entry());
      e.users++;
    }
    // Loading takes seconds to minutes: hold only this entry's lock, so tasks on another model
    // are not held up, and tasks on this one wait for the one load.
    synchronized (e) {
      try {
        if (e.model == null) {
          e.model = CausalLms.load(fs, subject.path(), subject.adapter());
        }
        return e.model;
      } catch (RuntimeException ex) {
        release(subject);
        throw ex;
      }
    }
  }

  /** The tokenizer of a model acquired before (null when the model has no tokenizer.json). */
  static TextTokenizer tokenizer(CheckpointFs fs, EvalSubject subject, boolean required) {
    Entry e;
    synchronized (LOADED) {
      e = LOADED.get(subject.weightsKey());
    }
    synchronized (e) {
      if (!e.tokenizerLoaded && required) {
        e.tokenizer = TextTokenizer.load(fs, subject.path());
        e.tokenizerLoaded = true;
      }
      return e.tokenizer;
    }
  }

  static void release(EvalSubject subject) {
    synchronized (LOADED) {
      Entry e = LOADED.get(subject.weightsKey());
      if (e != null && e.users > 0) {
        e.users--;
      }
    }
  }

  /** Drops every model no task uses (the driver calls it after an embedded run). */
  static void releaseIdle() {
    synchronized (LOADED) {
      LOADED.values().removeIf(e -> e.users == 0);
    }
  }
}
