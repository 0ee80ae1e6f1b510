package dev.sparkmerge.bench;

import dev.sparkmerge.method.Chunk;
import dev.sparkmerge.method.MethodParameters;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.method.Statistics;
import dev.sparkmerge.method.TensorKernel;
import dev.sparkmerge.method.TensorSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One merge kernel over a whole 4096 × 11008 tensor on one thread: every statistics pass and the
 * merge pass, each re-decoding the bf16 inputs block by block as the write stage does. The score
 * is milliseconds per tensor; model-elements per second = 4096 × 11008 × models / time, where
 * models is the number of non-base inputs ({@link #modelCount}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx6g"})
public class KernelBench {
  static final int ROWS = 4096;
  static final int COLS = 11008;
  static final int NUMEL = ROWS * COLS;
  /** Elements decoded per input at once: the engine's block size (PlanOptions.BLOCK_ELEMENTS). */
  static final int CHUNK = dev.sparkmerge.plan.PlanOptions.BLOCK_ELEMENTS;

  @Param({"linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "breadcrumbs",
      "breadcrumbs_ties", "della", "della_linear", "slerp", "nuslerp", "multislerp", "karcher",
      "model_stock", "sce", "nearswap", "arcee_fusion", "ram", "ramplus_tl", "passthrough"})
  public String method;

  private short[] base;
  private short[][] models;
  private boolean usesBase;
  private TensorKernel kernel;
  private int chunk;
  private float[] baseBuffer;
  private float[][] modelBuffers;
  private float[] out;

  /** Non-base inputs per method at this benchmark's shape. */
  static int modelCount(String method) {
    switch (method) {
      case "slerp":
      case "nearswap":
      case "arcee_fusion":
      case "passthrough":
        return 1;
      case "nuslerp":
        return 2;
      case "karcher":
        return 4; // mergekit averages the base in as a fourth input
      default:
        return 3;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    int m = modelCount(method);
    usesBase = !List.of("linear", "karcher", "passthrough").contains(method);
    short[] b = new short[NUMEL];
    for (int i = 0; i < NUMEL; i++) {
      b[i] = bf16((float) (gaussian(r) * 0.02));
    }
    models = new short[m][NUMEL];
    for (int k = 0; k < m; k++) {
      for (int i = 0; i < NUMEL; i++) {
        models[k][i] = bf16(decode(b[i]) + (float) (gaussian(r) * 0.002));
      }
    }
    base = usesBase ? b : null;
    kernel = MethodRegistry.get(method).bind(
        TensorSpec.of("model.layers.0.mlp.up_proj.weight", new long[] {ROWS, COLS}, m, usesBase, 7),
        parameters(method, m));
    long align = kernel.chunkAlignment();
    chunk = (int) Math.max(align, (CHUNK / align) * align);
    baseBuffer = new float[chunk];
    modelBuffers = new float[m][chunk];
    out = new float[chunk];
  }

  private static double gaussian(SplittableRandom r) {
    // Irwin–Hall approximation: fast, and the shape does not matter for kernel speed.
    return r.nextDouble() + r.nextDouble() + r.nextDouble() + r.nextDouble() - 2.0;
  }

  static MethodParameters parameters(String method, int m) {
    Map<String, Object> global = new HashMap<>();
    List<Map<String, Object>> perModel = new ArrayList<>();
    for (int k = 0; k < m; k++) {
      Map<String, Object> p = new HashMap<>();
      switch (method) {
        case "linear":
        case "task_arithmetic":
        case "multislerp":
        case "nuslerp":
          p.put("weight", 1.0 / m);
          break;
        case "ties":
        case "dare_ties":
        case "dare_linear":
        case "breadcrumbs":
        case "breadcrumbs_ties":
          p.put("weight", 1.0 / m);
          p.put("density", 0.5);
          break;
        case "della":
        case "della_linear":
          p.put("weight", 1.0 / m);
          p.put("density", 0.5);
          p.put("epsilon", 0.1);
          break;
        default:
          break;
      }
      perModel.add(p);
    }
    if (method.equals("slerp")) {
      global.put("t", 0.4);
    } else if (method.equals("nearswap")) {
      global.put("t", 0.001);
    } else if (method.equals("sce")) {
      global.put("select_topk", 0.5);
    } else if (method.equals("passthrough")) {
      perModel.get(0).put("scale", 0.5);
    }
    return new MethodParameters(global, perModel);
  }

  static short bf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  static float decode(short h) {
    return Float.intBitsToFloat(h << 16);
  }

  private static void decode(short[] src, int from, float[] dst, int n) {
    for (int i = 0; i < n; i++) {
      dst[i] = Float.intBitsToFloat(src[from + i] << 16);
    }
  }

  private Chunk read(int start, int n) {
    if (usesBase) {
      decode(base, start, baseBuffer, n);
    }
    for (int k = 0; k < models.length; k++) {
      decode(models[k], start, modelBuffers[k], n);
    }
    return new Chunk(start, n, usesBase ? baseBuffer : null, modelBuffers);
  }

  @Benchmark
  public float mergeTensor() {
    Statistics stats = kernel.initialStatistics();
    while (stats != null && !stats.isComplete()) {
      Statistics partial = stats.newPartial();
      for (int start = 0; start < NUMEL; start += chunk) {
        partial.accumulate(read(start, Math.min(chunk, NUMEL - start)));
      }
      stats = partial.finishPass();
    }
    float sink = 0;
    for (int start = 0; start < NUMEL; start += chunk) {
      int n = Math.min(chunk, NUMEL - start);
      kernel.merge(stats, read(start, n), out);
      sink += out[n - 1];
    }
    return sink;
  }
}
