package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.TensorInfo;

/**
 * A quick throughput measurement of {@link LoraDelta#fill} (no JMH: a few warm-up rounds, then the
 * best of six), printed in M elements/s, next to the same loop accumulating in double — the
 * measurement behind LoraDelta's float-accumulation choice. A benchmark, not a test (it lived in
 * the unit tests with an assertion that could not fail):
 *
 * <pre>java --add-modules jdk.incubator.vector -cp BENCH_CLASSPATH dev.sparkmerge.lora.LoraDeltaBench</pre>
 */
public final class LoraDeltaBench {
  static final int R = 16;
  static final int OUT = 2048;
  static final int IN = 2048;
  static final int CHUNK = 1 << 18;

  static LoraTarget target(boolean transposed) {
    TensorInfo a = new TensorInfo("a", DType.F32, new long[] {R, IN}, 0, 4L * R * IN);
    TensorInfo b = new TensorInfo("b", DType.F32, new long[] {OUT, R}, 0, 4L * OUT * R);
    long[] shape = transposed ? new long[] {IN, OUT} : new long[] {OUT, IN};
    return new LoraTarget("w", shape, transposed, false, 2.0, "mem", 0, a, b, null, "m", false,
        null);
  }

  private LoraDeltaBench() {}

  public static void main(String[] args) {
    float[] a = LoraFixtures.values(R * IN, 1);
    float[] b = LoraFixtures.values(OUT * R, 2);
    float[] buf = new float[CHUNK];
    for (boolean transposed : new boolean[] {false, true}) {
      LoraDelta d = LoraDelta.of(target(transposed), a, b);
      Runnable floatRun = () -> {
        for (long s = 0; s < d.numel(); s += CHUNK) {
          d.fill(s, CHUNK, buf);
        }
      };
      double[] left = new double[OUT * R];
      double[] right = new double[R * IN];
      for (int i = 0; i < left.length; i++) {
        left[i] = b[i];
      }
      for (int i = 0; i < right.length; i++) {
        right[i] = a[i];
      }
      double[] acc = new double[IN];
      Runnable doubleRun = () -> {
        for (int p = 0; p < OUT; p++) {
          doubleRow(left, right, p, acc);
          for (int q = 0; q < IN; q++) {
            buf[q & (CHUNK - 1)] = (float) (acc[q] * 2.0);
          }
        }
      };
      // Interleaved, best of each: the machine is shared, so load changes hit both alike.
      double[] rates = bestOfInterleaved(floatRun, doubleRun, d.numel());
      double floatRate = rates[0];
      double doubleRate = rates[1];
      System.out.printf("LoraDelta.fill r=%d %dx%d %s: float accumulation %.0f M elements/s,"
          + " double accumulation (same loop) %.0f M elements/s%n", R, OUT, IN,
          transposed ? "transposed" : "straight", floatRate / 1e6, doubleRate / 1e6);
    }
    // Keep the JIT honest: the result is used.
    System.out.println("(last value " + buf[0] + ")");
  }

  private static void doubleRow(double[] left, double[] right, int p, double[] acc) {
    double l0 = left[p * R];
    for (int q = 0; q < IN; q++) {
      acc[q] = l0 * right[q];
    }
    for (int k = 1; k < R; k++) {
      double l = left[p * R + k];
      int rb = k * IN;
      for (int q = 0; q < IN; q++) {
        acc[q] += l * right[rb + q];
      }
    }
  }

  private static double[] bestOfInterleaved(Runnable x, Runnable y, long elements) {
    for (int i = 0; i < 2; i++) {
      x.run();
      y.run();
    }
    long bestX = Long.MAX_VALUE;
    long bestY = Long.MAX_VALUE;
    for (int i = 0; i < 6; i++) {
      long t0 = System.nanoTime();
      x.run();
      long t1 = System.nanoTime();
      y.run();
      long t2 = System.nanoTime();
      bestX = Math.min(bestX, t1 - t0);
      bestY = Math.min(bestY, t2 - t1);
    }
    return new double[] {elements / (bestX / 1e9), elements / (bestY / 1e9)};
  }
}
