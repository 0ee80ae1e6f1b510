package dev.sparkmerge.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.AdapterConfig;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.LoraModule;
import dev.sparkmerge.checkpoint.NaturalOrder;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.SafetensorsLayout;
import dev.sparkmerge.checkpoint.SafetensorsWriter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorSpec;
import dev.sparkmerge.method.TensorKernel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.fs.Path;

/**
 * Combines LoRA adapters of one base into ONE PEFT adapter (reference/peft-lora.md §4.4, §4.8):
 * {@code cat} concatenates the factors (A rows scaled by weight·s, B columns as they are), which is
 * exact — B·A = Σ w_i·s_i·B_i·A_i — at rank Σ r_i; {@code svd} keeps the top {@code rank} singular
 * directions of the same sum (B = U·Σ, A = Vᵀ as PEFT does), per module by the exact low-rank route
 * (thin QR of the stacked factors, SVD of the small core) or, where {@link SvdSolver} says so, by
 * the randomised SVD of the sum formed densely ({@link WeightedSum}), reporting the energy kept
 * per module; optionally clamped as PEFT's svd_clamp ({@link SvdClamp}). PEFT's dense family
 * ({@code ties_svd}, {@code dare_ties_svd}, {@code dare_linear_svd},
 * {@code magnitude_prune_svd}) merges each module's dense updates ΔW_i = s_i·B_i·A_i with the
 * method registry's kernel ({@link DenseCombination}, {@link DenseMerge}) and reduces the result
 * with a randomised SVD ({@link RandomizedSvd}); that reduction is approximate, and the energy
 * the written factors keep is reported. The new adapter's scale is 1 (r = lora_alpha). The
 * caller's machine resolves each module's {@link ModuleWork} and writes the adapter; a
 * {@link ModuleRunner} combines the modules, here or in Spark tasks. A module's combination holds
 * its adapters' factors and, for the dense routes, one merged ΔW (out × in floats).
 */
public final class AdapterCombiner {
  private static final String PREFIX = "base_model.model.";

  /**
   * One input adapter, its weight per module (weights may follow gradients and filters) and, for
   * the dense family, all its per-model merge parameters per module (weight, density, ...).
   */
  public static final class Input {
    final PeftAdapter adapter;
    final ToDoubleFunction<String> weightOfModule;
    final Function<String, Map<String, Object>> parametersOfModule;

    public Input(PeftAdapter adapter, ToDoubleFunction<String> weightOfModule) {
      this(adapter, weightOfModule,
          module -> Map.of("weight", weightOfModule.applyAsDouble(module)));
    }

    public Input(PeftAdapter adapter, ToDoubleFunction<String> weightOfModule,
        Function<String, Map<String, Object>> parametersOfModule) {
      this.adapter = adapter;
      this.weightOfModule = weightOfModule;
      this.parametersOfModule = parametersOfModule;
    }
  }

  /**
   * How to combine: a combination name and rank; for the dense family also the seed, the method's
   * global parameters per module, and the randomised SVD's oversampling and power iterations.
   */
  public static final class Combination implements Serializable {
    private static final long serialVersionUID = 1L;

    final String name;
    final int rank;
    final long seed;
    /** Used on the driver only, where each module's work is resolved. */
    final transient Function<String, Map<String, Object>> globalOfModule;
    final int oversampling;
    final int powerIterations;
    final SvdSolver solver;
    /** PEFT's svd_clamp quantile, or 0 for none. */
    final double clamp;

    private Combination(String name, int rank, long seed,
        Function<String, Map<String, Object>> globalOfModule, int oversampling,
        int powerIterations, SvdSolver solver, double clamp) {
      this.name = name;
      this.rank = rank;
      this.seed = seed;
      this.globalOfModule = globalOfModule;
      this.oversampling = oversampling;
      this.powerIterations = powerIterations;
      this.solver = solver;
      this.clamp = clamp;
    }

    /**
     * This combination with PEFT's {@code svd_clamp}: the SVD's factors clamped to ± the
     * {@code quantile} (0 < q ≤ 1; 0: no clamp) of their entries ({@link SvdClamp}). Only for
     * {@code svd} and the dense family.
     */
    public Combination withClamp(double quantile) {
      if (quantile != 0 && (name.equals("cat") || !(quantile > 0 && quantile <= 1))) {
        throw new IllegalArgumentException("clamp " + quantile + " for " + name);
      }
      return new Combination(name, rank, seed, globalOfModule, oversampling, powerIterations,
          solver, quantile);
    }

    /** {@code cat} or {@code svd} by the exact route; rank 0 means the sum of the input ranks. */
    public static Combination exact(String name, int rank) {
      return new Combination(name, rank, 0, m -> Map.of(), 0, 0, SvdSolver.EXACT, 0);
    }

    /**
     * {@code svd} to {@code rank} (0: the sum of the input ranks) by {@code solver}; the seed
     * keys the randomised route's sketch, which uses {@code oversampling} and
     * {@code powerIterations}.
     */
    public static Combination svd(int rank, SvdSolver solver, long seed, int oversampling,
        int powerIterations) {
      if (rank < 0 || oversampling < 0 || powerIterations < 0) {
        throw new IllegalArgumentException("svd to rank " + rank + " (p = " + oversampling
            + ", q = " + powerIterations + ")");
      }
      return new Combination("svd", rank, seed, m -> Map.of(), oversampling, powerIterations,
          solver, 0);
    }

    /**
     * A dense combination ({@code ties_svd}, ...) to {@code rank} >= 1; the seed keys DARE's masks
     * and the SVD's sketch; {@code globalOfModule} gives the method's global parameters.
     */
    public static Combination dense(String name, int rank, long seed,
        Function<String, Map<String, Object>> globalOfModule, int oversampling,
        int powerIterations) {
      if (!DenseCombination.isDense(name) || rank < 1 || oversampling < 0
          || powerIterations < 0) {
        throw new IllegalArgumentException("dense combination " + name + " to rank " + rank
            + " (p = " + oversampling + ", q = " + powerIterations + ")");
      }
      return new Combination(name, rank, seed, globalOfModule, oversampling, powerIterations,
          SvdSolver.RANDOMIZED, 0);
    }

    boolean isDense() {
      return DenseCombination.isDense(name);
    }
  }

  /** What was written. */
  public static final class Result {
    public final int modules;
    public final int rank;
    /**
     * Per module, the fraction of the combined update's energy the written B·A keeps:
     * Σσ²_kept / Σσ² for {@code svd}'s exact route (1 for {@code cat}); otherwise, and whenever
     * the factors are clamped, ‖B·A‖²_F / ‖ΔW‖²_F of the written factors.
     */
    public final Map<String, Double> energyKept;
    /**
     * The modules whose B·A comes from a randomised SVD (every module of the dense family; those
     * {@code svd} reduced by the randomised route): near, not at, the optimum.
     */
    public final List<String> randomized;
    /** True when some module's B·A comes from a randomised SVD. */
    public final boolean approximate;

    Result(int modules, int rank, Map<String, Double> energyKept, List<String> randomized) {
      this.modules = modules;
      this.rank = rank;
      this.energyKept = energyKept;
      this.randomized = randomized;
      this.approximate = !randomized.isEmpty();
    }
  }

  private AdapterCombiner() {}

  /** {@code cat} or {@code svd} (see {@link #combine(CheckpointFs, List, Combination, Path)}). */
  public static Result combine(CheckpointFs fs, List<Input> inputs, String combination,
      int requestedRank, Path outDir) {
    return combine(fs, inputs, Combination.exact(combination, requestedRank), outDir);
  }

  /** Writes the combined adapter into {@code outDir}, every module on this machine. */
  public static Result combine(CheckpointFs fs, List<Input> inputs, Combination how,
      Path outDir) {
    return combine(fs, inputs, how, outDir, ModuleRunner.local(fs));
  }

  /**
   * Writes the combined adapter into {@code outDir} (adapter_config.json + safetensors), the
   * modules combined by {@code runner}. Everything a module needs is resolved here first, and
   * adapters that cannot be combined are refused before any module runs.
   */
  public static Result combine(CheckpointFs fs, List<Input> inputs, Combination how,
      Path outDir, ModuleRunner runner) {
    Map<String, List<int[]>> byModule = new TreeMap<>(NaturalOrder.INSTANCE);
    int catRank = 0;
    for (int i = 0; i < inputs.size(); i++) {
      PeftAdapter a = inputs.get(i).adapter;
      requireCombinable(a);
      int maxRank = 0;
      for (LoraModule m : a.modules().values()) {
        byModule.computeIfAbsent(m.modulePath(), k -> new ArrayList<>()).add(new int[] {i});
        maxRank = Math.max(maxRank, m.rank());
      }
      catRank += maxRank;
    }
    int rank = how.name.equals("cat") ? catRank : how.rank > 0 ? how.rank : catRank;
    List<ModuleWork> works = new ArrayList<>();
    for (Map.Entry<String, List<int[]>> e : byModule.entrySet()) {
      works.add(work(inputs, e.getKey(), e.getValue(), how));
    }
    List<ModuleResult> results = runner.run(works, how, rank);
    Map<String, Double> energy = new LinkedHashMap<>();
    List<String> randomized = new ArrayList<>();
    for (ModuleResult r : results) {
      energy.put(r.module, r.energyKept);
      if (r.randomized) {
        randomized.add(r.module);
      }
    }
    write(fs, inputs.get(0).adapter, results, rank, byModule, inputs, outDir);
    return new Result(results.size(), rank, energy, randomized);
  }

  /**
   * Combines the given modules, in order, reading each adapter file's header once. Runs wherever
   * the {@link ModuleRunner} puts it.
   */
  public static List<ModuleResult> combineAll(CheckpointFs fs, List<ModuleWork> works,
      Combination how, int rank) {
    List<ModuleResult> results = new ArrayList<>();
    Map<String, SafetensorsFile> files = new HashMap<>();
    try {
      for (ModuleWork w : works) {
        results.add(combineModule(fs, files, w, how, rank));
      }
    } finally {
      files.values().forEach(SafetensorsFile::close);
    }
    return results;
  }

  /** One module's work: the adapters that have it (same shape in all), resolved parameters. */
  private static ModuleWork work(List<Input> inputs, String module, List<int[]> present,
      Combination how) {
    List<ModuleWork.Part> parts = new ArrayList<>();
    long in = -1;
    long out = -1;
    for (int[] p : present) {
      Input input = inputs.get(p[0]);
      LoraModule m = input.adapter.modules().get(module);
      if (in >= 0 && (m.inFeatures() != in || m.outFeatures() != out)) {
        throw new CheckpointException(input.adapter.dir() + ": module '" + module + "' is "
            + m.outFeatures() + " x " + m.inFeatures() + " but another adapter has it as " + out
            + " x " + in + "; adapters of different bases cannot be combined.");
      }
      in = m.inFeatures();
      out = m.outFeatures();
      parts.add(new ModuleWork.Part(new Path(input.adapter.dir(), PeftAdapter.WEIGHTS_FILE)
          .toString(), m, input.weightOfModule.applyAsDouble(module),
          how.isDense() ? new LinkedHashMap<>(input.parametersOfModule.apply(module)) : Map.of()));
    }
    Map<String, Object> global = how.isDense() ? new LinkedHashMap<>(how.globalOfModule
        .apply(module)) : Map.of();
    return new ModuleWork(module, parts.get(0).module.isEmbedding(), (int) in, (int) out, parts,
        global);
  }

  private static void requireCombinable(PeftAdapter a) {
    AdapterConfig c = a.config();
    List<String> why = new ArrayList<>(c.mergeBlockers());
    if (c.useDora()) {
      why.add("it is a DoRA adapter (its magnitudes do not combine into one LoRA)");
    }
    if (c.loraBias()) {
      why.add("it has lora_bias (the biases do not combine into one adapter)");
    }
    if (!a.fullTensors().isEmpty()) {
      why.add("it carries full tensors " + a.fullTensors().keySet() + " (modules_to_save),"
          + " which have no meaning in a combined adapter");
    }
    if (!why.isEmpty()) {
      throw new CheckpointException(a.dir() + ": cannot be combined into one adapter: "
          + String.join("; ", why) + ". Write a merged model instead (output: model).");
    }
  }

  /** Factors of one output module, already padded to the output rank. */
  public static final class ModuleResult implements Serializable {
    private static final long serialVersionUID = 1L;

    final String module;
    final boolean embedding;
    final long in;
    final long out;
    final float[] a;
    final float[] b;
    final double energyKept;
    final boolean randomized;

    ModuleResult(String module, boolean embedding, long in, long out, float[] a, float[] b,
        double energyKept, boolean randomized) {
      this.module = module;
      this.embedding = embedding;
      this.in = in;
      this.out = out;
      this.a = a;
      this.b = b;
      this.energyKept = energyKept;
      this.randomized = randomized;
    }
  }

  /** One adapter's factors of one module, as stored (float32). */
  private static final class Loaded {
    final ModuleWork.Part part;
    final LoraModule module;
    final long dataStart;
    final float[] a;
    final float[] b;

    Loaded(ModuleWork.Part part, long dataStart, float[] a, float[] b) {
      this.part = part;
      this.module = part.module; // a shorthand: every route reads the module's rank and scale
      this.dataStart = dataStart;
      this.a = a;
      this.b = b;
    }
  }

  private static ModuleResult combineModule(CheckpointFs fs, Map<String, SafetensorsFile> files,
      ModuleWork work, Combination how, int rank) {
    List<Loaded> loaded = new ArrayList<>();
    for (ModuleWork.Part p : work.parts) {
      SafetensorsFile f = files.computeIfAbsent(p.file, x -> FactorReader.open(fs, x));
      long dataStart = f.header().dataStart();
      loaded.add(new Loaded(p, dataStart, FactorReader.read(f, p.module.a(), dataStart),
          FactorReader.read(f, p.module.b(), dataStart)));
    }
    String module = work.module;
    boolean embedding = work.embedding;
    int in = work.in;
    int out = work.out;
    if (how.isDense()) {
      return denseModule(module, embedding, in, out, loaded, how, rank, work.global);
    }
    int stacked = 0;
    for (Loaded l : loaded) {
      stacked += l.module.rank();
    }
    if (how.name.equals("svd") && how.solver.randomizes(out, in, stacked, rank,
        how.oversampling, how.powerIterations)) {
      return weightedSumModule(module, embedding, in, out, loaded, how, rank);
    }
    return exactModule(module, embedding, in, out, loaded, how, rank, stacked);
  }

  /** {@code cat} and {@code svd}: stacked factors, A rows scaled by weight·s. */
  private static ModuleResult exactModule(String module, boolean embedding, int in, int out,
      List<Loaded> loaded, Combination how, int rank, int stacked) {
    double[] aStack = new double[Math.multiplyExact(stacked, in)];
    double[] bStack = new double[Math.multiplyExact(out, stacked)];
    int row = 0;
    for (Loaded l : loaded) {
      int r = l.module.rank();
      double c = l.part.weight * l.module.scale();
      for (int j = 0; j < r * in; j++) {
        aStack[row * in + j] = c * l.a[j];
      }
      for (int o = 0; o < out; o++) {
        for (int k = 0; k < r; k++) {
          bStack[o * stacked + row + k] = l.b[o * r + k];
        }
      }
      row += r;
    }
    if (how.name.equals("cat")) {
      return new ModuleResult(module, embedding, in, out, pad(aStack, stacked, in, rank, true),
          pad(bStack, out, stacked, rank, false), 1.0, false);
    }
    LowRank.Factors f = clamped(LowRank.truncate(bStack, aStack, out, in, stacked, rank),
        how.clamp, out, in);
    return new ModuleResult(module, embedding, in, out, pad(f.a, f.rank, in, rank, true),
        pad(f.b, out, f.rank, rank, false), f.energyKept, false);
  }

  /**
   * {@code svd} by the randomised route: Σ w_i·ΔW_i formed densely from the factors (each ΔW_i
   * float32 as in a model merge, summed in float), then reduced like the dense family.
   */
  private static ModuleResult weightedSumModule(String module, boolean embedding, int in,
      int out, List<Loaded> loaded, Combination how, int rank) {
    requireDenseSize(module, in, out, how.name);
    double[] weights = new double[loaded.size()];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = loaded.get(i).part.weight;
    }
    float[] sum = WeightedSum.dense(deltas(module, embedding, in, out, loaded), weights);
    return reduce(module, embedding, in, out, sum, how, rank);
  }

  /**
   * The dense family: ΔW_i = s_i·B_i·A_i (out × in, B·A's orientation for every layer type) are
   * the task vectors of the method's kernel against a zero base; the merged ΔW is then reduced
   * to {@code rank} by a randomised SVD.
   */
  private static ModuleResult denseModule(String module, boolean embedding, int in, int out,
      List<Loaded> loaded, Combination how, int rank, Map<String, Object> global) {
    requireDenseSize(module, in, out, how.name);
    List<Map<String, Object>> perModel = new ArrayList<>();
    for (Loaded l : loaded) {
      perModel.add(l.part.params);
    }
    TensorKernel kernel = DenseCombination.bind(how.name, module, out, in, how.seed, global,
        perModel);
    float[] merged = DenseMerge.run(kernel, deltas(module, embedding, in, out, loaded));
    return reduce(module, embedding, in, out, merged, how, rank);
  }

  private static void requireDenseSize(String module, int in, int out, String combination) {
    if ((long) in * out > Integer.MAX_VALUE - 8) {
      throw new CheckpointException("module '" + module + "' is " + out + " x " + in + ", too"
          + " large to merge densely with '" + combination + "'; use 'cat' or 'svd' with"
          + " 'solver: exact', or a filter that leaves this module out.");
    }
  }

  /** Each adapter's ΔW_i = s_i·B_i·A_i of the module, produced chunk by chunk on demand. */
  private static List<LoraDelta> deltas(String module, boolean embedding, int in, int out,
      List<Loaded> loaded) {
    List<LoraDelta> deltas = new ArrayList<>();
    for (Loaded l : loaded) {
      LoraTarget t = new LoraTarget(DenseCombination.tensorName(module), new long[] {out, in},
          false, embedding, l.module.scale(), l.part.file, l.dataStart, l.module.a(), l.module.b(),
          null, module, false, null);
      deltas.add(LoraDelta.of(t, l.a, l.b));
    }
    return deltas;
  }

  /** The randomised SVD of a module's dense merged update, padded to the output rank. */
  private static ModuleResult reduce(String module, boolean embedding, int in, int out,
      float[] merged, Combination how, int rank) {
    LowRank.Factors f = clamped(RandomizedSvd.truncate(merged, out, in, rank, how.oversampling,
        how.powerIterations, DenseCombination.sketchStream(how.seed, module)), how.clamp, out, in);
    return new ModuleResult(module, embedding, in, out, pad(f.a, f.rank, in, rank, true),
        pad(f.b, out, f.rank, rank, false), f.energyKept, true);
  }

  /** PEFT's svd_clamp when asked for, on the factors before they are padded to the output rank. */
  private static LowRank.Factors clamped(LowRank.Factors f, double quantile, int out, int in) {
    return quantile == 0 ? f : SvdClamp.apply(f, quantile, out, in);
  }

  /**
   * Copies a factor into a zero factor of the output rank: A (rows = rank) or B (cols = rank).
   */
  private static float[] pad(double[] m, int rows, int cols, int rank, boolean isA) {
    if (isA) {
      float[] outA = new float[rank * cols];
      for (int i = 0; i < Math.min(rows, rank) * cols; i++) {
        outA[i] = (float) m[i];
      }
      return outA;
    }
    float[] outB = new float[rows * rank];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < Math.min(cols, rank); c++) {
        outB[r * rank + c] = (float) m[r * cols + c];
      }
    }
    return outB;
  }

  private static String keyA(ModuleResult m) {
    return PREFIX + m.module + (m.embedding ? ".lora_embedding_A" : ".lora_A.weight");
  }

  private static String keyB(ModuleResult m) {
    return PREFIX + m.module + (m.embedding ? ".lora_embedding_B" : ".lora_B.weight");
  }

  private static void write(CheckpointFs fs, PeftAdapter first, List<ModuleResult> results,
      int rank, Map<String, List<int[]>> byModule, List<Input> inputs, Path outDir) {
    List<TensorSpec> specs = new ArrayList<>();
    Map<String, float[]> data = new HashMap<>();
    for (ModuleResult m : results) {
      specs.add(new TensorSpec(keyA(m), DType.F32, new long[] {rank, m.in}));
      specs.add(new TensorSpec(keyB(m), DType.F32, new long[] {m.out, rank}));
      data.put(keyA(m), m.a);
      data.put(keyB(m), m.b);
    }
    try {
      fs.fileSystem(outDir).mkdirs(outDir);
    } catch (IOException e) {
      throw new CheckpointException(outDir + ": cannot create: " + e.getMessage(), e);
    }
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of());
    try (SafetensorsWriter w = SafetensorsWriter.create(fs,
        new Path(outDir, PeftAdapter.WEIGHTS_FILE), layout, true)) {
      for (TensorInfo t : layout.tensors()) {
        float[] v = data.get(t.name());
        w.writeFloats(v, 0, v.length);
      }
      w.commit();
    }
    writeText(fs, new Path(outDir, AdapterConfig.FILE_NAME), config(fs, first, rank, byModule));
  }

  /** The first adapter's config with r = lora_alpha = rank (scale 1) and the targets' union. */
  private static String config(CheckpointFs fs, PeftAdapter first, int rank,
      Map<String, List<int[]>> byModule) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode c;
    try {
      c = (ObjectNode) json.readTree(fs.readSmallFile(new Path(first.dir(),
          AdapterConfig.FILE_NAME), AdapterConfig.FILE_NAME, 16 << 20));
    } catch (IOException e) {
      throw new CheckpointException(first.dir() + ": cannot read its adapter_config.json", e);
    }
    c.put("r", rank);
    c.put("lora_alpha", rank);
    c.putObject("rank_pattern");
    c.putObject("alpha_pattern");
    c.put("use_rslora", false);
    c.put("use_dora", false);
    TreeSet<String> leaves = new TreeSet<>();
    for (String m : byModule.keySet()) {
      leaves.add(m.substring(m.lastIndexOf('.') + 1));
    }
    ArrayNode targets = c.putArray("target_modules");
    leaves.forEach(targets::add);
    return c.toPrettyString() + "\n";
  }

  private static void writeText(CheckpointFs fs, Path path, String text) {
    try (OutputStream o = fs.fileSystem(path).create(path, true)) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot write: " + e.getMessage(), e);
    }
  }
}
