package dev.sparkmerge.lora;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * An independent float64 statement of the dense merges the adapter output must reproduce
 * (reference/mergekit.md §3.6 with the project's documented rules), written for clarity, not
 * speed: magnitude top-k with ties kept in increasing flat index, TIES sign election on the sum of
 * weighted trimmed values with the disjoint sum divided by the agreeing models' weights, DARE's
 * mask times 1/density or an L1-matching factor. Plus the Eckart–Young optimum from a dense SVD.
 */
final class DenseReference {
  private DenseReference() {}

  /** The floor(density·numel) largest |v|, equal magnitudes kept in increasing index. */
  static boolean[] topK(double[] v, double density) {
    long k = (long) Math.floor(density * v.length);
    Integer[] order = IntStream.range(0, v.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -Math.abs(v[i]))
        .thenComparingInt(i -> i));
    boolean[] keep = new boolean[v.length];
    for (int j = 0; j < Math.min(k, v.length); j++) {
      keep[order[j]] = true;
    }
    return keep;
  }

  /** The magnitude of the k-th largest |v| (k = floor(density·numel)), the trim threshold. */
  static double threshold(double[] v, double density) {
    double[] m = Arrays.stream(v).map(Math::abs).sorted().toArray();
    int k = (int) Math.floor(density * v.length);
    return m[m.length - k];
  }

  static double[] masked(double[] v, boolean[] keep, double factor) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = keep[i] ? v[i] * factor : 0;
    }
    return out;
  }

  /** mergekit's L1 rescale: ‖v‖₁ / ‖kept‖₁. */
  static double l1Factor(double[] v, double[] kept) {
    double full = 0;
    double k = 0;
    for (int i = 0; i < v.length; i++) {
      full += Math.abs(v[i]);
      k += Math.abs(kept[i]);
    }
    return full / k;
  }

  /** Σ_i w_i·P_i. */
  static double[] weightedSum(List<double[]> trimmed, double[] w) {
    double[] out = new double[trimmed.get(0).length];
    for (int i = 0; i < w.length; i++) {
      for (int e = 0; e < out.length; e++) {
        out[e] += w[i] * trimmed.get(i)[e];
      }
    }
    return out;
  }

  /**
   * Sign election on Σ w_i·P_i (a vote of 0 elects +), then the sum of the agreeing w_i·P_i
   * (a value of 0 never agrees), divided by the agreeing weights' sum when {@code normalize}.
   */
  static double[] ties(List<double[]> trimmed, double[] w, boolean normalize) {
    double[] vote = weightedSum(trimmed, w);
    double[] out = new double[vote.length];
    for (int e = 0; e < out.length; e++) {
      double sign = vote[e] >= 0 ? 1 : -1;
      double sum = 0;
      double div = 0;
      for (int i = 0; i < w.length; i++) {
        double v = w[i] * trimmed.get(i)[e];
        if (v * sign > 0) {
          sum += v;
          div += w[i];
        }
      }
      out[e] = normalize ? sum / (div == 0 ? 1 : div) : sum;
    }
    return out;
  }

  /** Singular values of the rows × cols matrix m, descending. */
  static double[] singularValues(double[] m, int rows, int cols) {
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(rows, cols, false, false, true);
    if (!svd.decompose(DMatrixRMaj.wrap(rows, cols, m.clone()))) {
      throw new IllegalStateException("reference SVD failed");
    }
    double[] s = svd.getSingularValues().clone();
    Arrays.sort(s);
    for (int i = 0; i < s.length / 2; i++) {
      double t = s[i];
      s[i] = s[s.length - 1 - i];
      s[s.length - 1 - i] = t;
    }
    return Arrays.copyOf(s, Math.min(rows, cols));
  }

  /** Eckart–Young: ‖M − M_k‖_F of the best rank-k approximation. */
  static double optimalError(double[] m, int rows, int cols, int k) {
    double[] s = singularValues(m, rows, cols);
    double tail = 0;
    for (int i = k; i < s.length; i++) {
      tail += s[i] * s[i];
    }
    return Math.sqrt(tail);
  }

  /** B·A in float64 (B rows × k, A k × cols). */
  static double[] product(double[] b, double[] a, int rows, int cols, int k) {
    return LoraFixtures.referenceDelta(a, b, k, cols, rows, 1.0, false)[0];
  }

  static double squaredNorm(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x * x;
    }
    return s;
  }

  static double distance(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += (x[i] - y[i]) * (x[i] - y[i]);
    }
    return Math.sqrt(s);
  }
}
