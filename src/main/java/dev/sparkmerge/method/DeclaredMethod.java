package dev.sparkmerge.method;

import java.util.List;

/**
 * The declarative part every merge method shares — its name, parameters, how it uses the base and
 * its shape rule — so a method class only states those once and implements {@link #bind}.
 */
abstract class DeclaredMethod implements MergeMethod {
  private final String name;
  private final BaseModelUse baseModelUse;
  private final ShapeRule shapeRule;
  /** The method's parameters, for {@code bind} to validate values against. */
  final ParameterSchema schema;

  DeclaredMethod(String name, BaseModelUse baseModelUse, ShapeRule shapeRule,
      List<ParameterSpec> parameters) {
    this.name = name;
    this.baseModelUse = baseModelUse;
    this.shapeRule = shapeRule;
    this.schema = new ParameterSchema(name, parameters);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final ParameterSchema parameters() {
    return schema;
  }

  @Override
  public final BaseModelUse baseModelUse() {
    return baseModelUse;
  }

  @Override
  public final ShapeRule shapeRule() {
    return shapeRule;
  }
}
