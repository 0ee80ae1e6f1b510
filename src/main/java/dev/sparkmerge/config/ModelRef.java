package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * A model named in a config: a directory (local path, relative paths kept as written, or any
 * Hadoop URI such as {@code hdfs://nn/models/a}), optionally with a LoRA adapter applied on top,
 * written {@code path+lora}. Two references are the same model when path and adapter are equal,
 * as in mergekit (no path normalisation: {@code ./a} and {@code a} differ).
 */
public final class ModelRef implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String lora;
  private final String display;

  ModelRef(String path, String lora, String display) {
    this.path = Objects.requireNonNull(path);
    this.lora = lora;
    this.display = Objects.requireNonNull(display);
  }

  /** A reference to {@code path} with an optional adapter (null for none); for callers and tests. */
  public static ModelRef of(String path, String lora) {
    return new ModelRef(path, lora, lora == null ? path : path + "+" + lora);
  }

  /** The model directory (or Hadoop URI), as written. */
  public String path() {
    return path;
  }

  /** The LoRA adapter directory applied on top of {@link #path()}, or null. */
  public String lora() {
    return lora;
  }

  /** The reference as the user wrote it, for messages, model cards and manifests. */
  public String display() {
    return display;
  }

  /** Path and adapter only: the same model written either way hashes the same. */
  String canonical() {
    return ParameterSetting.quote(path) + "+" + (lora == null ? "-" : ParameterSetting.quote(lora));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelRef
        && path.equals(((ModelRef) o).path)
        && Objects.equals(lora, ((ModelRef) o).lora);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, lora);
  }

  @Override
  public String toString() {
    return display;
  }
}
