package dev.sparkmerge.method;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;

/**
 * Straightforward float64 re-implementations of reference/mergekit.md §3, written from the spec
 * (sorting instead of histograms, vectors instead of Gram matrices, mergekit's multislerp tangent
 * formula as written). Random masks use {@link CounterRng}, which defines our masks.
 */
final class Reference64 {
  private Reference64() {}

  static double[] merge(MergeRunner m) {
    int rows = (int) m.shape[0];
    int cols = (int) m.shape[1];
    double[] b = m.base == null ? null : toDouble(m.base);
    double[][] x = new double[m.models.length][];
    for (int i = 0; i < x.length; i++) {
      x[i] = toDouble(m.models[i]);
    }
    switch (m.method) {
      case "linear":
        return linear(x, weights(m));
      case "slerp":
        return slerp(num(m, "t", 0), b, x[0]);
      case "nuslerp":
        return nuslerp(m, b, x, rows, cols);
      case "multislerp":
        return multislerp(b, x, weights(m));
      case "karcher":
        return karcher(x, 10, 1e-5);
      case "model_stock":
        return modelStock(b, x, flag(m, "filter_wise") ? cols : rows * cols);
      case "sce":
        return sce(b, x, num(m, "select_topk", 1));
      case "nearswap":
        return nearswap(b, x[0], num(m, "t", 0));
      case "arcee_fusion":
        return arceeFusion(b, x[0], cols);
      case "ram":
      case "ramplus_tl":
        return ram(m.method.equals("ramplus_tl"), b, x, num(m, "epsilon", 1e-5), num(m, "r", 0.1),
            num(m, "alpha", 0.2));
      case "passthrough":
        return scale(x[0], ((Number) m.perModel.get(0).get("scale")).doubleValue());
      default:
        return taskVectors(m, b, x, rows, cols);
    }
  }

  static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static double num(MergeRunner m, String name, double def) {
    Object v = m.global.get(name);
    return v == null ? def : ((Number) v).doubleValue();
  }

  private static boolean flag(MergeRunner m, String name) {
    return Boolean.TRUE.equals(m.global.get(name));
  }

  private static double[] weights(MergeRunner m) {
    return m.perModel.stream().mapToDouble(p -> ((Number) p.get("weight")).doubleValue()).toArray();
  }

  private static double dot(double[] a, double[] b, int[] idx) {
    double s = 0;
    for (int i : idx) {
      s += a[i] * b[i];
    }
    return s;
  }

  private static int[] range(int from, int to, int step) {
    int[] r = new int[(to - from + step - 1) / step];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i * step;
    }
    return r;
  }

  static double[] linear(double[][] x, double[] w) {
    double[] y = new double[x[0].length];
    double sw = Arrays.stream(w).sum();
    for (int j = 0; j < y.length; j++) {
      for (int i = 0; i < x.length; i++) {
        y[j] += w[i] * x[i][j];
      }
      y[j] /= sw;
    }
    return y;
  }

  static double[] slerp(double t, double[] v0, double[] v1) {
    int[] all = range(0, v0.length, 1);
    double n0 = Math.sqrt(dot(v0, v0, all));
    double n1 = Math.sqrt(dot(v1, v1, all));
    double c = dot(v0, v1, all) / ((n0 > 1e-8 ? n0 : 1) * (n1 > 1e-8 ? n1 : 1));
    double[] y = new double[v0.length];
    for (int j = 0; j < y.length; j++) {
      if (Math.abs(c) > 0.9995) {
        y[j] = (1 - t) * v0[j] + t * v1[j];
      } else {
        double th = Math.acos(c);
        y[j] = (Math.sin((1 - t) * th) * v0[j] + Math.sin(t * th) * v1[j]) / Math.sin(th);
      }
    }
    return y;
  }

  static double[] nuslerp(MergeRunner m, double[] b, double[][] x, int rows, int cols) {
    double[] w = weights(m);
    double t = w[1] / (w[0] + w[1]);
    double[] a = b == null ? x[0] : sub(x[0], b);
    double[] c = b == null ? x[1] : sub(x[1], b);
    boolean flatten = !Boolean.FALSE.equals(m.global.get("nuslerp_flatten"));
    boolean rowWise = flag(m, "nuslerp_row_wise");
    double[] y = new double[a.length];
    int[][] groups;
    if (flatten) {
      groups = new int[][] {range(0, a.length, 1)};
    } else if (rowWise) {
      groups = new int[cols][];
      for (int k = 0; k < cols; k++) {
        groups[k] = range(k, rows * cols, cols);
      }
    } else {
      groups = new int[rows][];
      for (int r = 0; r < rows; r++) {
        groups[r] = range(r * cols, (r + 1) * cols, 1);
      }
    }
    for (int[] g : groups) {
      double na = Math.max(Math.sqrt(dot(a, a, g)), 1e-7);
      double nc = Math.max(Math.sqrt(dot(c, c, g)), 1e-7);
      double th = Math.acos(Math.max(-1, Math.min(1, dot(a, c, g) / (na * nc))));
      for (int j : g) {
        y[j] = (Math.sin((1 - t) * th) * a[j] + Math.sin(t * th) * c[j]) / Math.sin(th)
            + (b == null ? 0 : b[j]);
      }
    }
    return y;
  }

  static double[] multislerp(double[] b, double[][] x, double[] w0) {
    int n = x.length;
    int len = x[0].length;
    int[] all = range(0, len, 1);
    double sw = Arrays.stream(w0).sum();
    double[] w = Arrays.stream(w0).map(v -> v / sw).toArray();
    double[][] u = new double[n][];
    double scale = 0;
    double[] m = new double[len];
    for (int i = 0; i < n; i++) {
      double[] v = b == null ? x[i] : sub(x[i], b);
      double norm = Math.sqrt(dot(v, v, all));
      scale += w[i] * norm;
      u[i] = new double[len];
      for (int j = 0; j < len; j++) {
        u[i][j] = v[j] / (norm + 1e-8);
        m[j] += w[i] * u[i][j];
      }
    }
    double mn = Math.sqrt(dot(m, m, all));
    double[] mh = Arrays.stream(m).map(v -> v / mn).toArray();
    double[] tau = new double[len];
    for (int i = 0; i < n; i++) {
      double p = dot(u[i], mh, all);
      for (int j = 0; j < len; j++) {
        tau[j] += w[i] * (u[i][j] - p * mh[j]);
      }
    }
    double nu = Math.sqrt(dot(tau, tau, all)) + 1e-8;
    double[] y = new double[len];
    for (int j = 0; j < len; j++) {
      y[j] = scale * (Math.cos(nu) * mh[j] + Math.sin(nu) / nu * tau[j]) + (b == null ? 0 : b[j]);
    }
    return y;
  }

  static double[] karcher(double[][] x, int maxIter, double tol) {
    int n = x.length;
    int len = x[0].length;
    int[] all = range(0, len, 1);
    double[][] u = new double[n][len];
    double[] norms = new double[n];
    double scale = 0;
    for (int i = 0; i < n; i++) {
      norms[i] = Math.sqrt(dot(x[i], x[i], all));
      scale += norms[i] / n;
      for (int j = 0; j < len; j++) {
        u[i][j] = x[i][j] / norms[i];
      }
    }
    double[] mean = new double[len];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < len; j++) {
        mean[j] += u[i][j] / n;
      }
    }
    normalize(mean, all);
    for (int it = 0; it < maxIter; it++) {
      double[] tg = new double[len];
      for (int i = 0; i < n; i++) {
        double c = Math.max(-1, Math.min(1, dot(mean, u[i], all)));
        double th = Math.acos(c);
        if (th < tol) {
          continue;
        }
        for (int j = 0; j < len; j++) {
          tg[j] += (1.0 / n) * th / Math.sin(th) * (u[i][j] - c * mean[j]);
        }
      }
      double tn = Math.sqrt(dot(tg, tg, all));
      if (tn < tol) {
        break;
      }
      for (int j = 0; j < len; j++) {
        mean[j] = Math.cos(tn) * mean[j] + Math.sin(tn) * tg[j] / tn;
      }
      normalize(mean, all);
    }
    return scale(mean, scale);
  }

  private static void normalize(double[] v, int[] all) {
    double n = Math.sqrt(dot(v, v, all));
    for (int j = 0; j < v.length; j++) {
      v[j] /= n;
    }
  }

  static double[] modelStock(double[] b, double[][] x, int groupLen) {
    int n = x.length;
    double[][] d = new double[n][];
    for (int i = 0; i < n; i++) {
      d[i] = sub(x[i], b);
    }
    double[] y = new double[b.length];
    for (int g = 0; g < b.length; g += groupLen) {
      int[] idx = range(g, g + groupLen, 1);
      double sum = 0;
      int pairs = 0;
      for (int i = 0; i < n; i++) {
        for (int k = i + 1; k < n; k++) {
          double norms = Math.sqrt(dot(d[i], d[i], idx)) * Math.sqrt(dot(d[k], d[k], idx));
          sum += Math.max(-1, Math.min(1, dot(d[i], d[k], idx) / Math.max(norms, 1e-6)));
          pairs++;
        }
      }
      double c = sum / pairs;
      double t = n * c / (1 + (n - 1) * c);
      for (int j : idx) {
        double avg = 0;
        for (int i = 0; i < n; i++) {
          avg += x[i][j] / n;
        }
        y[j] = t * avg + (1 - t) * b[j];
      }
    }
    return y;
  }

  static double[] sce(double[] b, double[][] x, double topk) {
    int n = x.length;
    int len = b.length;
    double[][] tau = new double[n][];
    for (int i = 0; i < n; i++) {
      tau[i] = sub(x[i], b);
    }
    if (topk < 1) {
      float[] var = new float[len];
      int nz = 0;
      for (int j = 0; j < len; j++) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
          mean += tau[i][j] / n;
        }
        double v = 0;
        for (int i = 0; i < n; i++) {
          v += (tau[i][j] - mean) * (tau[i][j] - mean) / n;
        }
        var[j] = (float) v;
        nz += var[j] != 0 ? 1 : 0;
      }
      int k = (int) Math.floor(nz * topk);
      Integer[] order = sortedIndices(len, Comparator.comparingDouble((Integer j) -> -var[j]));
      boolean[] keep = new boolean[len];
      for (int r = 0; r < k; r++) {
        keep[order[r]] = true;
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < len; j++) {
          tau[i][j] = keep[j] ? tau[i][j] : 0;
        }
      }
    }
    double[] e = new double[n];
    double total = 0;
    for (int i = 0; i < n; i++) {
      e[i] = dot(tau[i], tau[i], range(0, len, 1)) / len;
      total += e[i];
    }
    for (int i = 0; i < n; i++) {
      e[i] /= total;
    }
    double[] y = new double[len];
    for (int j = 0; j < len; j++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        s += tau[i][j];
      }
      double num = 0;
      double den = 0;
      for (int i = 0; i < n; i++) {
        if (s >= 0 ? tau[i][j] > 0 : tau[i][j] < 0) {
          num += e[i] * tau[i][j];
          den += e[i];
        }
      }
      y[j] = b[j] + num / Math.max(den, 1e-6);
    }
    return y;
  }

  static double[] nearswap(double[] b, double[] x, double t) {
    double[] y = new double[b.length];
    for (int j = 0; j < y.length; j++) {
      double w = Math.max(0, Math.min(1, t / Math.max(Math.abs(b[j] - x[j]), 1e-6)));
      y[j] = w * x[j] + (1 - w) * b[j];
    }
    return y;
  }

  /** Returns the merged tensor; elements whose importance is within 1e-5 of τ get NaN (either is right). */
  static double[] arceeFusion(double[] b, double[] x, int cols) {
    int len = b.length;
    double[] imp = new double[len];
    for (int r = 0; r < len / cols; r++) {
      double[] p = softmax(x, r * cols, cols);
      double[] q = softmax(b, r * cols, cols);
      double kl = 0;
      for (int k = 0; k < cols; k++) {
        kl += (p[k] + 1e-8) * Math.log((p[k] + 1e-8) / (q[k] + 1e-8));
      }
      for (int k = 0; k < cols; k++) {
        int j = r * cols + k;
        imp[j] = Math.abs(x[j] - b[j]) * kl;
      }
    }
    double[] sorted = imp.clone();
    Arrays.sort(sorted);
    double q25 = sorted[(int) Math.floor(0.25f * (float) (len - 1))];
    double q50 = sorted[(int) Math.floor(0.5f * (float) (len - 1))];
    double q75 = sorted[(int) Math.floor(0.75f * (float) (len - 1))];
    double tau = q50 + 1.5 * (q75 - q25);
    double[] y = new double[len];
    for (int j = 0; j < len; j++) {
      y[j] = Math.abs(imp[j] - tau) < 1e-5 * Math.abs(tau) ? Double.NaN
          : imp[j] >= tau ? x[j] : b[j];
    }
    return y;
  }

  private static double[] softmax(double[] v, int from, int len) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < len; k++) {
      max = Math.max(max, v[from + k]);
    }
    double[] e = new double[len];
    double s = 0;
    for (int k = 0; k < len; k++) {
      e[k] = Math.exp(v[from + k] - max);
      s += e[k];
    }
    for (int k = 0; k < len; k++) {
      e[k] /= s;
    }
    return e;
  }

  static double[] ram(boolean plus, double[] b, double[][] x, double eps, double r,
      double alpha) {
    int n = x.length;
    int len = b.length;
    int[] active = new int[len];
    for (int j = 0; j < len; j++) {
      for (int i = 0; i < n; i++) {
        active[j] += Math.abs(x[i][j] - b[j]) > eps ? 1 : 0;
      }
    }
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) {
      long shared = 0;
      long unique = 0;
      for (int j = 0; j < len; j++) {
        if (Math.abs(x[i][j] - b[j]) > eps) {
          if (active[j] > 1) {
            shared++;
          } else {
            unique++;
          }
        }
      }
      double rho = shared / Math.max((double) unique, eps);
      lambda[i] = plus ? 1 + r * Math.max(0, Math.min(alpha, rho)) : 1;
    }
    double[] y = new double[len];
    for (int j = 0; j < len; j++) {
      y[j] = b[j];
      for (int i = 0; i < n; i++) {
        double d = x[i][j] - b[j];
        if (Math.abs(d) > eps) {
          y[j] += active[j] == 1 ? lambda[i] * d : d / active[j];
        }
      }
    }
    return y;
  }

  static double[] taskVectors(MergeRunner m, double[] b, double[][] x, int rows, int cols) {
    String method = m.method;
    int n = x.length;
    int len = b.length;
    boolean consensus = method.equals("ties") || method.equals("dare_ties")
        || method.equals("breadcrumbs_ties") || method.equals("della");
    boolean count = "count".equals(m.global.get("consensus_method"));
    boolean normalize = m.global.containsKey("normalize") ? flag(m, "normalize")
        : method.equals("ties") || method.equals("della");
    boolean rescale = m.global.containsKey("rescale") ? flag(m, "rescale")
        : method.startsWith("dare") || method.startsWith("della");
    boolean inverse = "inverse_density".equals(m.global.get("rescale_method"));
    double lambda = num(m, "lambda", 1);
    double[][] dd = new double[n][];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      Map<String, Object> p = m.perModel.get(i);
      w[i] = ((Number) p.get("weight")).doubleValue();
      double density = p.containsKey("density") ? ((Number) p.get("density")).doubleValue() : 1;
      double[] delta = sub(x[i], b);
      boolean[] keep = new boolean[len];
      Arrays.fill(keep, true);
      long stream = CounterRng.streamKey(m.seed, m.tensorName, i);
      if (density < 1 && !method.equals("task_arithmetic")) {
        if (method.equals("ties")) {
          keep = topByMagnitude(delta, (int) Math.floor(density * len), 0);
        } else if (method.startsWith("breadcrumbs")) {
          double gamma = ((Number) p.get("gamma")).doubleValue();
          int target = (int) Math.floor(density * len);
          int top = (int) Math.floor(gamma * len);
          keep = topByMagnitude(delta, target, top);
        } else if (method.startsWith("dare")) {
          for (int j = 0; j < len; j++) {
            keep[j] = CounterRng.keep(stream, j, CounterRng.keepThreshold(density));
          }
        } else {
          double eps = ((Number) p.get("epsilon")).doubleValue();
          for (int r = 0; r < rows; r++) {
            final int row = r;
            Integer[] asc = sortedIndices(cols,
                Comparator.comparingDouble((Integer k) -> Math.abs(delta[row * cols + k])));
            for (int rank = 0; rank < cols; rank++) {
              int j = r * cols + asc[rank];
              double prob = density - eps + 2 * eps * rank / (cols - 1);
              keep[j] = CounterRng.keep(stream, j, CounterRng.keepThreshold(prob));
            }
          }
        }
        double[] kept = new double[len];
        double l1 = 0;
        double l1kept = 0;
        for (int j = 0; j < len; j++) {
          kept[j] = keep[j] ? delta[j] : 0;
          l1 += Math.abs(delta[j]);
          l1kept += Math.abs(kept[j]);
        }
        double f = !rescale ? 1 : inverse ? 1 / density : l1 / l1kept;
        for (int j = 0; j < len; j++) {
          kept[j] *= f;
        }
        dd[i] = kept;
      } else {
        dd[i] = delta;
      }
      for (int j = 0; j < len; j++) {
        dd[i][j] *= w[i];
      }
    }
    double[] y = new double[len];
    double wsum = Arrays.stream(w).sum();
    for (int j = 0; j < len; j++) {
      double mixed = 0;
      double div = 0;
      double vote = 0;
      for (int i = 0; i < n; i++) {
        vote += count ? Math.signum(dd[i][j]) : dd[i][j];
      }
      for (int i = 0; i < n; i++) {
        boolean agree = !consensus || (vote >= 0 ? dd[i][j] > 0 : dd[i][j] < 0);
        if (agree) {
          mixed += dd[i][j];
          div += w[i];
        }
      }
      if (!consensus) {
        div = Math.abs(wsum) < 1e-8 ? 1 : wsum;
      } else if (div == 0) {
        div = 1;
      }
      y[j] = b[j] + (normalize ? mixed / div : mixed) * lambda;
    }
    return y;
  }

  /** Keeps descending magnitude ranks [skip, skip + k) (distinct magnitudes assumed). */
  private static boolean[] topByMagnitude(double[] d, int k, int skip) {
    Integer[] order = sortedIndices(d.length, Comparator.comparingDouble((Integer j) -> -Math.abs(d[j])));
    boolean[] keep = new boolean[d.length];
    for (int r = skip; r < Math.min(d.length, skip + k); r++) {
      keep[order[r]] = true;
    }
    return keep;
  }

  private static Integer[] sortedIndices(int n, Comparator<Integer> c) {
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, c.thenComparingInt(i -> i));
    return idx;
  }

  private static double[] sub(double[] a, double[] b) {
    double[] d = new double[a.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  private static double[] scale(double[] a, double s) {
    double[] d = new double[a.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = a[i] * s;
    }
    return d;
  }
}
