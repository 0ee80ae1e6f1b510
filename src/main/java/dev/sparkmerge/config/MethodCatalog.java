package dev.sparkmerge.config;

import java.util.Set;

/**
 * What the loader needs to know about merge methods to validate a config, supplied by the caller
 * (built from the method registry elsewhere) so that this package depends on nothing else.
 */
public interface MethodCatalog {
  /** Every valid {@code merge_method} name. */
  Set<String> methodNames();

  /** The rules of a method named in {@link #methodNames()}. */
  MethodRules rules(String method);
}
