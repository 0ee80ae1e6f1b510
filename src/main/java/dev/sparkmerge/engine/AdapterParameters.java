package dev.sparkmerge.engine;

import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ParameterResolver;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.method.ParameterSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merge method's parameters for one module of adapter output, resolved as a model merge
 * resolves them for a tensor (precedence, gradients, filters; reference/mergekit.md §2.5): filters
 * see {@code <module>.weight}, and {@code t} is the module's layer position. Unset values stay
 * absent so the kernel applies the method's defaults.
 */
final class AdapterParameters {
  private final JobSpec job;
  private final SliceSpec slice;
  private final List<ParameterSpec> specs;

  AdapterParameters(JobSpec job, SliceSpec slice) {
    this.job = job;
    this.slice = slice;
    this.specs = MethodRegistry.get(job.mergeMethod()).parameters().specs();
  }

  Map<String, Object> perModel(SourceSpec src, String module, double t) {
    Map<String, Object> values = new LinkedHashMap<>();
    String tensor = module + ".weight";
    for (ParameterSpec p : specs) {
      if (p.scope == ParameterSpec.Scope.PER_MODEL) {
        put(values, p, p.type == ParameterSpec.Type.CHOICE
            ? ParameterResolver.choice(p.name, job, slice, src, tensor)
            : ParameterResolver.perModel(p.name, job, slice, src, tensor, t));
      }
    }
    return values;
  }

  Map<String, Object> global(String module, double t) {
    Map<String, Object> values = new LinkedHashMap<>();
    String tensor = module + ".weight";
    for (ParameterSpec p : specs) {
      if (p.scope == ParameterSpec.Scope.GLOBAL) {
        put(values, p, p.type == ParameterSpec.Type.CHOICE
            ? ParameterResolver.choice(p.name, job, slice, tensor)
            : ParameterResolver.global(p.name, job, slice, tensor, t));
      }
    }
    return values;
  }

  private static void put(Map<String, Object> values, ParameterSpec p, Object v) {
    if (v == null) {
      return;
    }
    values.put(p.name, p.type == ParameterSpec.Type.BOOLEAN ? (Object) ((Double) v != 0.0) : v);
  }
}
