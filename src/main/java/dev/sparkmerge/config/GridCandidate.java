package dev.sparkmerge.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One merge of a grid search: a stable, readable id derived from the swept values (or the
 * document's position for a list of explicit configs), those values, and the full validated spec.
 */
public final class GridCandidate implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final LinkedHashMap<String, String> values;
  private final JobSpec spec;

  GridCandidate(String id, Map<String, String> values, JobSpec spec) {
    this.id = id;
    this.values = new LinkedHashMap<>(values);
    this.spec = spec;
  }

  /** A directory-safe name, e.g. {@code density-0.3_weight-1.0}. */
  public String id() {
    return id;
  }

  /** The swept values of this candidate, by grid key, as written in the config. */
  public Map<String, String> values() {
    return Collections.unmodifiableMap(values);
  }

  public JobSpec spec() {
    return spec;
  }
}
