package dev.sparkmerge.config;

/**
 * Looks up a parameter for one tensor the way mergekit does (reference/mergekit.md §2.5): the
 * first level whose setting yields a value wins; a level whose filters all miss yields nothing and
 * lookup continues. Returns null when no level has a value (the caller applies the method's
 * default; the loader has already rejected configs missing a required value).
 */
public final class ParameterResolver {
  private ParameterResolver() {}

  /**
   * A per-model parameter (e.g. {@code weight}, {@code density}) for {@code source}: its own
   * parameters, then the slice's, then the top level. Filters see the source model's
   * {@code inputTensorName} (in frankenmerges it carries the source layer number).
   */
  public static Double perModel(
      String name, JobSpec job, SliceSpec slice, SourceSpec source, String inputTensorName,
      double t) {
    Double v = value(source.parameters(), name, inputTensorName, t);
    if (v == null) {
      v = value(slice.parameters(), name, inputTensorName, t);
    }
    return v != null ? v : value(job.parameters(), name, inputTensorName, t);
  }

  /**
   * A global parameter (e.g. slerp's {@code t}, {@code normalize}): the slice's parameters, then
   * the top level; never a source's (the loader rejects global parameters placed there). Filters
   * see the {@code outputTensorName}.
   */
  public static Double global(
      String name, JobSpec job, SliceSpec slice, String outputTensorName, double t) {
    Double v = value(slice.parameters(), name, outputTensorName, t);
    return v != null ? v : value(job.parameters(), name, outputTensorName, t);
  }

  /** A per-model CHOICE parameter (our extensions), with the same lookup order as numbers. */
  public static String choice(
      String name, JobSpec job, SliceSpec slice, SourceSpec source, String inputTensorName) {
    String v = choiceAt(source.parameters(), name, inputTensorName);
    if (v == null) {
      v = choiceAt(slice.parameters(), name, inputTensorName);
    }
    return v != null ? v : choiceAt(job.parameters(), name, inputTensorName);
  }

  /** A global CHOICE parameter such as {@code consensus: count}: slice, then top level. */
  public static String choice(String name, JobSpec job, SliceSpec slice, String outputTensorName) {
    String v = choiceAt(slice.parameters(), name, outputTensorName);
    return v != null ? v : choiceAt(job.parameters(), name, outputTensorName);
  }

  private static Double value(ParameterSet level, String name, String tensor, double t) {
    ParameterSetting s = level.get(name);
    return s == null ? null : s.evaluate(tensor, t);
  }

  private static String choiceAt(ParameterSet level, String name, String tensor) {
    ParameterSetting s = level.get(name);
    return s == null ? null : s.choice(tensor);
  }
}
