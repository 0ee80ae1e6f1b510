package dev.sparkmerge.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The grid benchmark ({@code scripts/bench e2e --grid}, issue 6): per shape, a 6-candidate TIES
 * grid over base + fine-tunes as ONE {@code GridJob} ({@link GridChild}) against the same 6
 * candidates as 6 separate merges ({@link MergeChild}, exactly as the per-method e2e merges), each
 * in its own JVM. Measures merge wall time and the bytes each JVM read during the merge
 * ({@link ReadCounters}), and checks that every grid candidate's shards are byte-identical
 * (SHA-256 of candidates.json vs the separate run's merge-manifest.json). Tables: {@link
 * GridReport}.
 */
final class GridBench {
  /** The swept values, as written in the YAML: the ids and candidates.json repeat them so. */
  static final List<String> DENSITIES = List.of("0.3", "0.5", "0.7");
  static final List<String> WEIGHTS = List.of("0.5", "1.0");

  private GridBench() {}

  /** One child JVM's figures, and the shards (file → sha256) it wrote for one candidate. */
  static final class Run {
    final String label;
    Map<String, Long> child;
    Map<String, String> shards = new TreeMap<>();
    String configHash;

    Run(String label) {
      this.label = label;
    }

    long get(String key) {
      return child.getOrDefault(key, -1L);
    }
  }

  /** Everything measured on one shape. */
  static final class ShapeResult {
    String shape;
    long inputBytes;
    Run grid;
    final List<Run> separate = new ArrayList<>();
    int identical;
    final List<String> mismatches = new ArrayList<>();
  }

  static void run(E2eBench.Options o) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.println("== sparkmerge grid benchmark: one grid job vs separate merges ==");
    System.out.println(E2eBench.machine());
    System.out.printf("master %s, child JVM -Xmx%s, chunk %d MiB, %d fine-tunes, TIES grid"
        + " density %s × weight %s%n", o.master, o.xmx, o.chunkBytes >> 20, o.fineTunes,
        DENSITIES, WEIGHTS);
    List<ShapeResult> results = new ArrayList<>();
    for (String spec : o.shapes) {
      BenchShape shape = BenchShape.parse(spec);
      System.out.println();
      System.out.println("-- " + shape);
      List<Path> models = SyntheticModels.ensure(o.models, shape, o.fineTunes, o.inputShard,
          cores);
      if (!o.generateOnly) {
        results.add(runShape(o, shape, models));
      }
    }
    if (!results.isEmpty()) {
      GridReport.print(results);
    }
  }

  private static ShapeResult runShape(E2eBench.Options o, BenchShape shape, List<Path> models)
      throws Exception {
    ShapeResult res = new ShapeResult();
    res.shape = shape.name;
    List<Path> files = new ArrayList<>();
    for (Path m : models) {
      files.addAll(E2eBench.safetensors(m));
    }
    res.inputBytes = E2eBench.totalBytes(files);
    Path work = o.work.toAbsolutePath();

    Path gridConfig = work.resolve(shape.name + "-grid.yml");
    Files.writeString(gridConfig, header(models) + "parameters:\n  normalize: true\ngrid:\n"
        + "  density: " + DENSITIES + "\n  weight: " + WEIGHTS + "\ndtype: bfloat16\n");
    Path gridOut = work.resolve("out-" + shape.name + "-grid");
    res.grid = fastest(o, files, () -> {
      Run r = new Run("grid (" + DENSITIES.size() * WEIGHTS.size() + " candidates)");
      r.child = child(o, GridChild.class, gridConfig, gridOut, "grid", "grid");
      return r;
    });
    // Shards of each grid candidate by its swept values, from candidates.json.
    Map<String, Run> gridCandidates = new TreeMap<>();
    for (JsonNode c : new ObjectMapper().readTree(gridOut.resolve("candidates.json").toFile())) {
      Run cr = new Run(c.path("id").asText());
      cr.configHash = c.path("config_hash").asText();
      c.path("shards").forEach(s -> cr.shards.put(s.path("file").asText(),
          s.path("sha256").asText()));
      gridCandidates.put(key(c.path("values").path("density").asText(),
          c.path("values").path("weight").asText()), cr);
    }
    if (!o.keepOutput) {
      SyntheticModels.deleteRecursively(gridOut);
    }

    for (String d : DENSITIES) {
      for (String w : WEIGHTS) {
        String id = "density-" + d + "_weight-" + w;
        Path config = work.resolve(shape.name + "-grid-" + id + ".yml");
        Files.writeString(config, header(models) + "parameters:\n  normalize: true\n"
            + "  density: " + d + "\n  weight: " + w + "\ndtype: bfloat16\n");
        Path out = work.resolve("out-" + shape.name + "-grid-" + id);
        Run sep = fastest(o, files, () -> {
          Run r = new Run(id);
          r.child = child(o, MergeChild.class, config, out, "merge " + id, "separate");
          return r;
        });
        JsonNode manifest = new ObjectMapper().readTree(
            out.resolve("merge-manifest.json").toFile());
        sep.configHash = manifest.path("config_hash").asText();
        manifest.path("shards").forEach(s -> sep.shards.put(s.path("file").asText(),
            s.path("sha256").asText()));
        if (!o.keepOutput) {
          SyntheticModels.deleteRecursively(out);
        }
        res.separate.add(sep);
        compare(res, id, gridCandidates.get(key(d, w)), sep);
      }
    }
    return res;
  }

  /** The part of the config every candidate shares: TIES over the base and all fine-tunes. */
  private static String header(List<Path> models) {
    StringBuilder y = new StringBuilder("merge_method: ties\nbase_model: " + models.get(0)
        + "\nmodels:\n");
    for (int k = 1; k < models.size(); k++) {
      y.append("  - model: ").append(models.get(k)).append('\n');
    }
    return y.toString();
  }

  private static String key(String density, String weight) {
    return density + "/" + weight;
  }

  /** Records identical shards, or a MISMATCH line that names what differs. */
  private static void compare(ShapeResult res, String id, Run grid, Run sep) {
    String problem = null;
    if (grid == null) {
      problem = "no grid candidate with these values in candidates.json";
    } else if (sep.shards.isEmpty()) {
      problem = "the separate run's manifest lists no shards";
    } else if (!grid.shards.equals(sep.shards)) {
      List<String> differ = new ArrayList<>();
      for (String f : sep.shards.keySet()) {
        if (!sep.shards.get(f).equals(grid.shards.get(f))) {
          differ.add(f);
        }
      }
      for (String f : grid.shards.keySet()) {
        if (!sep.shards.containsKey(f)) {
          differ.add(f + " (grid only)");
        }
      }
      problem = "shards differ: " + differ;
    }
    if (problem == null) {
      res.identical++;
      String hash = grid.configHash.equals(sep.configHash) ? "same config hash"
          : "config hash differs (" + grid.configHash + " vs " + sep.configHash + ")";
      System.out.printf("  identical: %s, %d shard(s), SHA-256 equal; %s%n", id,
          sep.shards.size(), hash);
    } else {
      String line = "MISMATCH " + res.shape + " " + id + ": " + problem;
      res.mismatches.add(line);
      System.out.println("  " + line);
    }
  }

  /** Something that starts one child JVM and returns its run. */
  private interface Measurement {
    Run measure() throws Exception;
  }

  /**
   * Reads the inputs once more right before each child (so they are cached, as in the per-method
   * e2e merges, whatever the outputs just written evicted) and keeps the run with the fastest
   * merge over --repeat runs.
   */
  private static Run fastest(E2eBench.Options o, List<Path> inputs, Measurement m)
      throws Exception {
    Run best = null;
    for (int rep = 0; rep < o.repeat; rep++) {
      double readS = E2eBench.readSeconds(inputs);
      Run r = m.measure();
      System.out.printf(Locale.ROOT, "  %-24s #%d: inputs re-read in %.2f s; plan %.2f s, spark"
          + " start %.2f s, merge %.2f s; read during merge %s GB (rchar), %s GB (Hadoop), %s GB"
          + " from disk; peak RSS %d MB, process %.1f s%n", r.label, rep + 1, readS,
          r.get("plan_ms") / 1e3, r.get("spark_ms") / 1e3, r.get("merge_ms") / 1e3,
          GridReport.gb(r.get("merge_read_rchar")), GridReport.gb(r.get("merge_read_hadoop")),
          GridReport.gb(r.get("merge_read_disk")), r.get("vmhwm_kb") / 1024,
          r.get("process_ms") / 1e3);
      if (best == null || r.get("merge_ms") < best.get("merge_ms")) {
        best = r;
      }
    }
    return best;
  }

  private static Map<String, Long> child(E2eBench.Options o, Class<?> main, Path config,
      Path out, String label, String jfrKey) throws Exception {
    SyntheticModels.deleteRecursively(out);
    Path jfr = o.jfr.contains(jfrKey) ? o.work.toAbsolutePath().resolve(
        out.getFileName() + ".jfr") : null;
    return ChildJvm.run(o, main, List.of(config.toString(), out.toString(), o.master,
        Long.toString(o.chunkBytes)), label, jfr);
  }
}
