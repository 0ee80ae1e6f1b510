package dev.sparkmerge.lora;

import dev.sparkmerge.method.CounterRng;
import dev.sparkmerge.method.MergeException;
import dev.sparkmerge.method.MethodParameters;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.method.TensorKernel;
import dev.sparkmerge.method.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's dense combinations (reference/peft-lora.md §4.4, SVD family) on the method registry's
 * kernels: each adapter's update ΔW_i = s_i·B_i·A_i is a task vector against a zero base, so the
 * kernel's trimming, sign election and weighting act on exactly the ΔW_i, with the method's own
 * parameters, defaults and counter-based randomness. Nothing of the merge maths lives here.
 *
 * <p>{@code magnitude_prune} (Σ w_i·topk(ΔW_i)) has no mergekit name; it is breadcrumbs with
 * {@code gamma = 0}: keep the floor(density·numel) largest magnitudes and drop no outliers.
 */
final class DenseCombination {
  private static final Map<String, String> KERNELS = Map.of(
      "ties_svd", "ties",
      "dare_ties_svd", "dare_ties",
      "dare_linear_svd", "dare_linear",
      "magnitude_prune_svd", "breadcrumbs");

  private DenseCombination() {}

  static boolean isDense(String combination) {
    return KERNELS.containsKey(combination);
  }

  /**
   * The tensor name a module's merge runs under: it keys the DARE masks (with the seed and the
   * adapter's index among those that have the module) and the sketch of the randomised SVD.
   */
  static String tensorName(String module) {
    return module + ".weight";
  }

  /** The counter-RNG stream of the randomised SVD's sketch: apart from every DARE mask stream. */
  static long sketchStream(long seed, String module) {
    return CounterRng.streamKey(seed, tensorName(module) + "#randomized-svd", 0);
  }

  /**
   * Binds the combination's kernel to one module (out × in, PEFT orientation B·A).
   *
   * @param perModel resolved per-model parameters of the adapters that have the module, in order
   * @param global resolved global parameters for the module
   */
  static TensorKernel bind(String combination, String module, int out, int in, long seed,
      Map<String, Object> global, List<Map<String, Object>> perModel) {
    String method = KERNELS.get(combination);
    if (method == null) {
      throw new IllegalArgumentException("not a dense combination: " + combination);
    }
    List<Map<String, Object>> models = new ArrayList<>();
    for (Map<String, Object> p : perModel) {
      Map<String, Object> m = new LinkedHashMap<>(p);
      if (combination.equals("magnitude_prune_svd")) {
        m.put("gamma", 0.0);
      }
      models.add(m);
    }
    TensorSpec spec = TensorSpec.of(tensorName(module), new long[] {out, in}, models.size(),
        true, seed);
    try {
      return MethodRegistry.get(method).bind(spec, new MethodParameters(global, models));
    } catch (MergeException e) {
      throw new MergeException("output combination '" + combination + "' (merged with " + method
          + (combination.equals("magnitude_prune_svd") ? " at gamma 0" : "") + "), module "
          + module + ": " + e.getMessage());
    }
  }
}
