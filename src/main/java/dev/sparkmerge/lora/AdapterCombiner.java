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
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.fs.Path;

/**
 * Combines LoRA adapters of one base into ONE PEFT adapter (reference/peft-lora.md §4.4, §4.8):
 * {@code cat} concatenates the factors (A rows scaled by weight·s, B columns as they are), which is
 * exact — B·A = Σ w_i·s_i·B_i·A_i — at rank Σ r_i; {@code svd} takes the same sum through the exact
 * low-rank route (thin QR of the stacked factors, SVD of the small core) and keeps the top
 * {@code rank} singular directions (B = U·Σ, A = Vᵀ as PEFT does), reporting the energy kept per
 * module. The new adapter's scale is 1 (r = lora_alpha). Factors are small (rank × features), so
 * this runs on one machine, module by module.
 */
public final class AdapterCombiner {
  private static final String PREFIX = "base_model.model.";

  /** One input adapter and its weight per module (weights may follow gradients and filters). */
  public static final class Input {
    final PeftAdapter adapter;
    final ToDoubleFunction<String> weightOfModule;

    public Input(PeftAdapter adapter, ToDoubleFunction<String> weightOfModule) {
      this.adapter = adapter;
      this.weightOfModule = weightOfModule;
    }
  }

  /** What was written. */
  public static final class Result {
    public final int modules;
    public final int rank;
    /** Per module, the fraction of Σσ² kept by {@code svd} (1 for {@code cat}). */
    public final Map<String, Double> energyKept;

    Result(int modules, int rank, Map<String, Double> energyKept) {
      this.modules = modules;
      this.rank = rank;
      this.energyKept = energyKept;
    }
  }

  private AdapterCombiner() {}

  /** Writes the combined adapter into {@code outDir} (adapter_config.json + safetensors). */
  public static Result combine(CheckpointFs fs, List<Input> inputs, String combination,
      int requestedRank, Path outDir) {
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
    int rank = combination.equals("cat") ? catRank
        : requestedRank > 0 ? requestedRank : catRank;
    List<ModuleResult> results = new ArrayList<>();
    Map<String, Double> energy = new LinkedHashMap<>();
    Map<String, SafetensorsFile> files = new HashMap<>();
    try {
      for (Map.Entry<String, List<int[]>> e : byModule.entrySet()) {
        ModuleResult r = combineModule(fs, files, inputs, e.getKey(), e.getValue(), combination,
            rank);
        results.add(r);
        energy.put(e.getKey(), r.energyKept);
      }
    } finally {
      files.values().forEach(SafetensorsFile::close);
    }
    write(fs, inputs.get(0).adapter, results, rank, byModule, inputs, outDir);
    return new Result(results.size(), rank, energy);
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
  private static final class ModuleResult {
    final String module;
    final boolean embedding;
    final long in;
    final long out;
    final float[] a;
    final float[] b;
    final double energyKept;

    ModuleResult(String module, boolean embedding, long in, long out, float[] a, float[] b,
        double energyKept) {
      this.module = module;
      this.embedding = embedding;
      this.in = in;
      this.out = out;
      this.a = a;
      this.b = b;
      this.energyKept = energyKept;
    }
  }

  private static ModuleResult combineModule(CheckpointFs fs, Map<String, SafetensorsFile> files,
      List<Input> inputs, String module, List<int[]> present, String combination, int rank) {
    List<double[]> as = new ArrayList<>();
    List<double[]> bs = new ArrayList<>();
    List<Integer> ranks = new ArrayList<>();
    long in = -1;
    long out = -1;
    boolean embedding = false;
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
      embedding = m.isEmbedding();
      String file = new Path(input.adapter.dir(), PeftAdapter.WEIGHTS_FILE).toString();
      SafetensorsFile f = files.computeIfAbsent(file, x -> FactorReader.open(fs, x));
      double c = input.weightOfModule.applyAsDouble(module) * m.scale();
      float[] a = FactorReader.read(f, m.a(), f.header().dataStart());
      float[] b = FactorReader.read(f, m.b(), f.header().dataStart());
      double[] ad = new double[a.length];
      for (int j = 0; j < a.length; j++) {
        ad[j] = c * a[j];
      }
      double[] bd = new double[b.length];
      for (int j = 0; j < b.length; j++) {
        bd[j] = b[j];
      }
      as.add(ad);
      bs.add(bd);
      ranks.add(m.rank());
    }
    int stacked = ranks.stream().mapToInt(Integer::intValue).sum();
    double[] aStack = new double[Math.multiplyExact(stacked, (int) in)];
    double[] bStack = new double[Math.multiplyExact((int) out, stacked)];
    int row = 0;
    for (int k = 0; k < as.size(); k++) {
      int r = ranks.get(k);
      System.arraycopy(as.get(k), 0, aStack, row * (int) in, r * (int) in);
      for (int o = 0; o < out; o++) {
        System.arraycopy(bs.get(k), o * r, bStack, o * stacked + row, r);
      }
      row += r;
    }
    if (combination.equals("cat")) {
      return new ModuleResult(module, embedding, in, out, pad(aStack, stacked, (int) in, rank,
          true), pad(bStack, (int) out, stacked, rank, false), 1.0);
    }
    LowRank.Factors f = LowRank.truncate(bStack, aStack, (int) out, (int) in, stacked, rank);
    return new ModuleResult(module, embedding, in, out, pad(f.a, f.rank, (int) in, rank, true),
        pad(f.b, (int) out, f.rank, rank, false), f.energyKept);
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
