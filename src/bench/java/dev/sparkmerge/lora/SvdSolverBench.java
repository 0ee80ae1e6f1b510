package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times {@code svd}'s two routes on one module of N random rank-16 adapters (out × in given as
 * arguments, N from a list) to rank 64: the exact route ({@link LowRank}: QR of the stacked
 * factors, SVD of the core) and the randomised route (the dense sum of the adapters' ΔW_i, then
 * {@link RandomizedSvd}, p = 10, q = 2), next to {@link SvdSolver}'s cost estimates — the
 * measurement behind {@code solver: auto}'s choice. Best of three after one warm-up:
 *
 * <pre>java --add-modules jdk.incubator.vector -cp BENCH_CLASSPATH dev.sparkmerge.lora.SvdSolverBench OUT IN N,N,...</pre>
 */
public final class SvdSolverBench {
  private static final int R = 16;
  private static final int RANK = 64;

  private SvdSolverBench() {}

  public static void main(String[] args) {
    int out = Integer.parseInt(args[0]);
    int in = Integer.parseInt(args[1]);
    System.out.println("  out    in     N  Σr   exact s  randomized s  exact/randomized"
        + "  estimate ratio");
    for (String n : args[2].split(",")) {
      int adapters = Integer.parseInt(n);
      int stacked = adapters * R;
      Random rnd = new Random(adapters);
      double[] aStack = new double[stacked * in];
      double[] bStack = new double[out * stacked];
      List<LoraDelta> deltas = new ArrayList<>();
      double[] weights = new double[adapters];
      for (int i = 0; i < adapters; i++) {
        float[] a = new float[R * in];
        float[] b = new float[out * R];
        for (int j = 0; j < a.length; j++) {
          a[j] = (float) rnd.nextGaussian();
          aStack[i * R * in + j] = a[j];
        }
        for (int o = 0; o < out; o++) {
          for (int k = 0; k < R; k++) {
            b[o * R + k] = (float) rnd.nextGaussian();
            bStack[o * stacked + i * R + k] = b[o * R + k];
          }
        }
        deltas.add(LoraDelta.of(target(out, in), a, b));
        weights[i] = 1.0;
      }
      double exact = best(() -> LowRank.truncate(bStack, aStack, out, in, stacked, RANK));
      double randomized = best(() -> RandomizedSvd.truncate(
          WeightedSum.dense(deltas, weights), out, in, RANK, 10, 2, 1L));
      double estimate = SvdSolver.exactCost(out, in, stacked)
          / SvdSolver.randomizedCost(out, in, stacked, RANK, 10, 2);
      System.out.printf("%5d %5d %5d %4d %9.2f %13.2f %17.2f %15.2f%n", out, in, adapters,
          stacked, exact, randomized, exact / randomized, estimate);
    }
  }

  private static LoraTarget target(int out, int in) {
    TensorInfo a = new TensorInfo("a", DType.F32, new long[] {R, in}, 0, 4L * R * in);
    TensorInfo b = new TensorInfo("b", DType.F32, new long[] {out, R}, 0, 4L * out * R);
    return new LoraTarget("m.weight", new long[] {out, in}, false, false, 1.0, "mem", 0, a, b,
        null, "m", false, null);
  }

  private static double best(Runnable run) {
    run.run();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      long t0 = System.nanoTime();
      run.run();
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }
}
