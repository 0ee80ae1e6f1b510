package dev.sparkmerge.method;

/** Checks shared by the methods' bind steps, so every method words its errors the same way. */
final class Methods {
  private Methods() {}

  static void requireBase(String method, TensorSpec spec) {
    if (!spec.hasBase) {
      throw new MergeException("merge method '" + method + "' needs a base model, but tensor "
          + spec.name + " has none. Set base_model in the config.");
    }
  }

  static ParameterValues bindParameters(ParameterSchema schema, TensorSpec spec,
      MethodParameters params) {
    if (params.modelCount() != spec.modelCount) {
      throw new IllegalArgumentException("parameters for " + params.modelCount()
          + " models but tensor " + spec.name + " has " + spec.modelCount);
    }
    return schema.bind(params);
  }

  static MergeException arity(String method, TensorSpec spec, String expectation) {
    return new MergeException("merge method '" + method + "' " + expectation + ", but tensor "
        + spec.name + " has " + spec.modelCount + " model(s)" + (spec.hasBase ? " plus a base" : "")
        + ". Change the models listed for this tensor.");
  }
}
