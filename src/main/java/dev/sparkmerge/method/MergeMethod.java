package dev.sparkmerge.method;

/**
 * A merge method (one per mergekit {@code merge_method} name). Adding a method means one class
 * implementing this and one line in {@link MethodRegistry}.
 */
public interface MergeMethod {

  /** How the config's {@code base_model} takes part (reference/mergekit.md §2.1). */
  enum BaseModelUse {
    /** The base is required and handed to the kernel separately. */
    REQUIRED,
    /** The base is optional; when given it is handed to the kernel separately. */
    OPTIONAL,
    /** mergekit appends the base as one more ordinary input (linear, karcher, passthrough). */
    ORDINARY_INPUT
  }

  /** The {@code merge_method} name. */
  String name();

  ParameterSchema parameters();

  BaseModelUse baseModelUse();

  /** How inputs of different shapes are reconciled (reference/mergekit.md §2.6). */
  ShapeRule shapeRule();

  /**
   * Binds the method to one tensor: validates parameters and arity, and returns the kernel.
   *
   * @param spec the tensor, with {@code modelCount} non-base models that have it
   * @param params resolved values; {@code params.modelCount()} must equal {@code spec.modelCount}
   * @throws MergeException when a parameter or the inputs make the merge impossible
   */
  TensorKernel bind(TensorSpec spec, MethodParameters params);
}
