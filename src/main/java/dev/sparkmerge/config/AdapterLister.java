package dev.sparkmerge.config;

import java.util.List;

/**
 * Expands the paths of an {@code adapters:} block (globs such as {@code hdfs:///adapters/*}) into
 * adapter directories. Supplied by the caller, which has file system access; the config package
 * itself reads nothing.
 */
public interface AdapterLister {
  /**
   * The adapter directories a path or glob names, sorted.
   *
   * @throws IllegalArgumentException with a user-facing message when the path cannot be listed
   */
  List<String> list(String pathOrGlob);

  /** For callers without file access: any {@code adapters:} block is reported as an error. */
  AdapterLister NONE = p -> {
    throw new IllegalArgumentException("'adapters:' needs file system access to expand '" + p
        + "'; run the config with sparkmerge run or plan.");
  };
}
