package dev.sparkmerge.config;

import java.util.List;
import java.util.Map;

/**
 * A rule over several parameters of one model at one tensor that per-parameter ranges cannot
 * express, e.g. DELLA's "density ± epsilon must lie in (0, 1)". The loader evaluates it for every
 * non-base model at every filter and at every gradient anchor position; since the values are
 * piecewise-linear in t between anchors, that covers all layers for linear conditions.
 */
public interface Constraint {
  /**
   * The parameter names it reads, all NUMBER/INTEGER/BOOLEAN (per-model ones resolve
   * source → slice → top, global ones slice → top).
   */
  List<String> parameters();

  /**
   * Null when acceptable, else what is wrong and what to do. {@code values} maps each name in
   * {@link #parameters()} to its resolved value, or null when unset (apply the default).
   */
  String check(Map<String, Double> values);
}
