package dev.sparkmerge.method;

/** How a task vector is thinned before it is merged (reference/mergekit.md §3.6 (a)–(d)). */
public enum Sparsifier {
  /** Keep everything. */
  NONE,
  /** TIES: keep the floor(density·numel) largest magnitudes of the whole tensor. */
  MAGNITUDE,
  /** DARE: keep each element with probability density. */
  RANDOM,
  /** Breadcrumbs: drop the floor(gamma·numel) largest and the smallest, keep floor(density·numel). */
  OUTLIERS,
  /** DELLA: keep with a probability that grows with the magnitude's rank within its row. */
  RANK_PROBABILITY
}
