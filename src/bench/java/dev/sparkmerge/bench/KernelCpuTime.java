package dev.sparkmerge.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The {@link KernelBench} workload timed by the thread's CPU time instead of wall time: on a
 * shared machine (other builds on the same two cores) wall-clock JMH scores mostly measure the
 * contention. Prints a Markdown row per method: non-base models, best of three CPU milliseconds,
 * million model-elements per CPU-second.
 *
 * <pre>java -cp BENCH_CLASSPATH dev.sparkmerge.bench.KernelCpuTime linear ties dare_ties ...</pre>
 */
public final class KernelCpuTime {
  private KernelCpuTime() {}

  public static void main(String[] methods) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    System.err.println("kernels: " + dev.sparkmerge.method.Simd.describe());
    for (String method : methods) {
      KernelBench bench = new KernelBench();
      bench.method = method;
      bench.setUp();
      long best = Long.MAX_VALUE;
      for (int rep = 0; rep < 3; rep++) {
        long t0 = threads.getCurrentThreadCpuTime();
        bench.mergeTensor();
        best = Math.min(best, threads.getCurrentThreadCpuTime() - t0);
      }
      int models = KernelBench.modelCount(method);
      double modelElements = (double) KernelBench.NUMEL * models;
      System.out.printf("| `%s` | %d | %.0f | %.0f |%n", method, models, best / 1e6,
          modelElements / (best / 1e9) / 1e6);
    }
  }
}
