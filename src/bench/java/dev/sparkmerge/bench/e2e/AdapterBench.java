package dev.sparkmerge.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The many-adapters benchmark ({@code scripts/bench e2e --adapters 10,50,100}, issue 5 "Scale
 * benchmark"): per shape, N synthetic LoRA adapters ({@link SyntheticAdapters}) of the synthetic
 * base ({@link SyntheticModels}), for each N in the list and each task, in its own JVM:
 *
 * <ul>
 *   <li>{@code ties}: TIES of the first N adapters' updates into a full bf16 model
 *       ({@link MergeChild}: plan, Spark start, {@code MergeJob.run}), through the
 *       {@code adapters:} block — weight 1/N, density 0.5, normalize.
 *   <li>{@code svd}: the same N adapters summed (task_arithmetic, weight 1/N) into ONE rank-64
 *       adapter with {@code output: {type: adapter, combination: svd}} ({@link AdapterChild}:
 *       Spark start, then the modules combined in Spark tasks, the adapter written by the
 *       driver).
 * </ul>
 *
 * <p>Before each child the inputs it reads are read once sequentially, so both run against the
 * page cache, as in the other e2e merges. Tables and growth ratios: {@link AdapterReport}. A child
 * that fails is reported as FAILED and the others still run. Use the same {@code --xmx} for every N
 * to keep RSS comparable (TIES over 100 adapters fits the default 1g since its selections count
 * into one histogram copy per model).
 */
final class AdapterBench {
  static final int SVD_RANK = 64;
  static final List<String> TASKS = List.of("ties", "svd");

  private AdapterBench() {}

  /** One measured child JVM. */
  static final class Run {
    String shape;
    String task;
    int adapters;
    long targeted;
    long inputBytes;
    double readS;
    Map<String, Long> child;

    long get(String key) {
      return child.getOrDefault(key, -1L);
    }

    double mergeS() {
      return get("merge_ms") / 1e3;
    }

    /** Adapter-elements per second: targeted base elements × adapters / merge seconds. */
    double elementsPerS() {
      return targeted * (double) adapters / mergeS();
    }
  }

  static void run(E2eBench.Options o) throws Exception {
    for (String t : o.methods) {
      if (!TASKS.contains(t)) {
        throw new IllegalArgumentException("with --adapters, --methods takes " + TASKS
            + ", not " + t);
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int max = Collections.max(o.adapters);
    System.out.println("== sparkmerge many-adapters benchmark (issue 5) ==");
    System.out.println(E2eBench.machine());
    System.out.printf(Locale.ROOT, "master %s, child JVM -Xmx%s, chunk %d MiB; LoRA r=%d"
        + " alpha=%d %s over %s; tasks %s; adapters %s%n", o.master, o.xmx, o.chunkBytes >> 20,
        SyntheticAdapters.RANK, SyntheticAdapters.ALPHA, o.adapterDtype,
        String.join("/", SyntheticAdapters.TARGETS), o.methods, o.adapters);
    List<Run> runs = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (String spec : o.shapes) {
      BenchShape shape = BenchShape.parse(spec);
      System.out.println();
      System.out.printf(Locale.ROOT, "-- %s; the adapters target %.3f G elements of it%n", shape,
          SyntheticAdapters.targetedElements(shape) / 1e9);
      Path base = SyntheticModels.ensure(o.models, shape, 0, o.inputShard, cores).get(0);
      List<Path> adapters = SyntheticAdapters.ensure(o.adapterDir(), shape, max, o.adapterDtype,
          cores);
      if (o.generateOnly) {
        continue;
      }
      for (String task : o.methods) {
        for (int n : o.adapters) {
          Run best = null;
          for (int rep = 0; rep < o.repeat; rep++) {
            try {
              Run r = runOne(o, shape, task, base, adapters.subList(0, n), rep);
              if (best == null || r.mergeS() < best.mergeS()) {
                best = r;
              }
            } catch (IllegalStateException e) {
              // A child that dies (e.g. out of heap at a large N) must not lose the hours of
              // runs around it: report it and go on.
              String line = "FAILED " + shape.name + " " + task + " N=" + n + " #" + (rep + 1)
                  + ": " + e.getMessage();
              System.out.println("  " + line);
              failed.add(line);
            }
          }
          if (best != null) {
            runs.add(best);
          }
        }
      }
    }
    if (!runs.isEmpty()) {
      AdapterReport.print(runs);
    }
    for (String f : failed) {
      System.out.println(f);
    }
    if (!failed.isEmpty()) {
      throw new IllegalStateException(failed.size() + " run(s) failed; see FAILED above");
    }
  }

  private static Run runOne(E2eBench.Options o, BenchShape shape, String task, Path base,
      List<Path> adapters, int rep) throws Exception {
    int n = adapters.size();
    String id = shape.name + "-adapters-" + task + "-n" + n;
    Path work = o.work.toAbsolutePath();
    Path config = work.resolve(id + ".yml");
    Files.writeString(config, config(task, base, adapters));
    Path out = work.resolve("out-" + id);
    SyntheticModels.deleteRecursively(out);
    List<Path> files = new ArrayList<>();
    if (task.equals("ties")) {
      files.addAll(E2eBench.safetensors(base)); // the svd route never opens the base
    }
    for (Path a : adapters) {
      files.addAll(E2eBench.safetensors(a));
    }
    Run r = new Run();
    r.shape = shape.name;
    r.task = task;
    r.adapters = n;
    r.targeted = SyntheticAdapters.targetedElements(shape);
    r.inputBytes = E2eBench.totalBytes(files);
    r.readS = E2eBench.readSeconds(files);
    Path jfr = o.jfr.contains(task) ? work.resolve(id + ".jfr") : null;
    r.child = ChildJvm.run(o, task.equals("svd") ? AdapterChild.class : MergeChild.class,
        List.of(config.toString(), out.toString(), o.master, Long.toString(o.chunkBytes)),
        task + " N=" + n, jfr);
    if (!o.keepOutput) {
      SyntheticModels.deleteRecursively(out);
    }
    System.out.printf(Locale.ROOT, "  %-4s N=%-3d #%d: inputs re-read in %.2f s; plan %.2f s,"
        + " spark start %.2f s, merge %.2f s (%.3f s per adapter), %.0f M adapter-el/s; read"
        + " during merge %s GB (Hadoop); peak RSS %d MB, live heap %d MB, process %.1f s%n",
        task, n, rep + 1, r.readS, r.get("plan_ms") / 1e3, r.get("spark_ms") / 1e3, r.mergeS(),
        r.mergeS() / n, r.elementsPerS() / 1e6, GridReport.gb(r.get("merge_read_hadoop")),
        r.get("vmhwm_kb") / 1024, r.get("heap_live_max") >> 20, r.get("process_ms") / 1e3);
    return r;
  }

  /**
   * The config of one task over these adapters, listed by path in the {@code adapters:} block
   * (a glob cannot pick "the first N" of one cached set). Weight 1/N keeps the svd sum an
   * average; TIES normalises by the agreeing weights, so there it only fixes the scale.
   */
  static String config(String task, Path base, List<Path> adapters) {
    StringBuilder y = new StringBuilder();
    y.append("merge_method: ").append(task.equals("ties") ? "ties" : "task_arithmetic")
        .append("\nbase_model: ").append(base).append("\nadapters:\n  paths:\n");
    for (Path a : adapters) {
      y.append("    - ").append(a).append('\n');
    }
    String weight = Double.toString(1.0 / adapters.size());
    if (task.equals("ties")) {
      y.append("  parameters: {weight: ").append(weight).append(", density: 0.5}\n")
          .append("parameters: {normalize: true}\ndtype: bfloat16\n");
    } else {
      y.append("  parameters: {weight: ").append(weight).append("}\n")
          .append("output: {type: adapter, combination: svd, rank: ").append(SVD_RANK)
          .append("}\n");
    }
    return y.toString();
  }
}
