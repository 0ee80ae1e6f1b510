package dev.sparkmerge.bench.eval;

import dev.sparkmerge.eval.model.MatMul;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * {@link MatMul} on the products of one forward pass ({@link ForwardShape#gemms}), timed by the
 * thread's CPU time (best of {@code reps}; the machine is shared, so wall time would mostly
 * measure the neighbours). Prints a Markdown row per product — ms per call, GFLOP/s, ms per
 * forward — and the total: the matrix-product time of one forward pass of {@code rows} tokens.
 * scripts/torch_forward_bench.py --gemm prints the same rows for torch.matmul.
 *
 * <pre>scripts/bench gemm [--rows 512] [--reps 5] [smollm-135m tinyllama-1.1b]</pre>
 */
public final class MatMulBench {
  private MatMulBench() {}

  public static void main(String[] args) {
    int rows = 512;
    int reps = 5;
    java.util.List<ForwardShape> shapes = new java.util.ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[++i]);
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        default -> shapes.add(ForwardShape.parse(args[i]));
      }
    }
    if (shapes.isEmpty()) {
      shapes.addAll(java.util.List.of(ForwardShape.values()));
    }
    System.out.println("MatMul kernel: " + MatMul.kernel() + "; rows = " + rows);
    System.out.println("| shape | product | k | n | per forward | ms per call | GFLOP/s | ms per "
        + "forward |");
    System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
    for (ForwardShape shape : shapes) {
      double total = 0;
      for (ForwardShape.Gemm g : shape.gemms()) {
        double ms = bestMs(rows, g.k(), g.n(), reps);
        double gflops = 2.0 * rows * g.k() * g.n() / (ms * 1e6);
        total += ms * g.perForward();
        System.out.printf("| %s | %s | %d | %d | %d | %.3f | %.1f | %.1f |%n", shape.label,
            g.name(), g.k(), g.n(), g.perForward(), ms, gflops, ms * g.perForward());
      }
      System.out.printf("| %s | **all products** | | | | | | **%.1f** |%n", shape.label, total);
    }
  }

  /** Best CPU milliseconds of one call, after warm-up calls. */
  static double bestMs(int rows, int k, int n, int reps) {
    SplittableRandom rnd = new SplittableRandom(k * 31L + n);
    float[] x = new float[rows * k];
    float[] w = new float[n * k];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (rnd.nextGaussian() * 0.02);
    }
    float[] y = new float[rows * n];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    // Warm-up: C2 compiles the kernel during the first shape's calls (OSR first, which ran the
    // first shape at half speed with a 0.3 s warm-up): 1 s of CPU and 3 calls at least.
    long warmEnd = threads.getCurrentThreadCpuTime() + 1_000_000_000L;
    for (int i = 0; i < 3 || threads.getCurrentThreadCpuTime() < warmEnd; i++) {
      MatMul.multiplyTransposed(x, rows, k, w, n, y);
    }
    long best = Long.MAX_VALUE;
    for (int rep = 0; rep < reps; rep++) {
      long t0 = threads.getCurrentThreadCpuTime();
      MatMul.multiplyTransposed(x, rows, k, w, n, y);
      best = Math.min(best, threads.getCurrentThreadCpuTime() - t0);
    }
    return best / 1e6;
  }
}
