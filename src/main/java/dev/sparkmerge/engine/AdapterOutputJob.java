package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.LayerNames;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.OutputSpec;
import dev.sparkmerge.config.ParameterResolver;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.lora.AdapterCombiner;
import dev.sparkmerge.lora.ModuleRunner;
import dev.sparkmerge.lora.SvdSolver;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code output: adapter}: combines the config's {@code BASE+ADAPTER} models into one PEFT
 * adapter directory (see {@link AdapterCombiner}) instead of writing a model. Parameters resolve
 * per module as for a model merge (filters see {@code <module>.weight}; gradients use the module's
 * layer). The driver resolves every module's work and writes the adapter; the modules are
 * combined by a {@link ModuleRunner} — Spark tasks ({@link SparkModuleRunner}), so a cluster's
 * executors share the hundreds of modules of a large model, or this machine alone.
 */
public final class AdapterOutputJob {
  private AdapterOutputJob() {}

  /** Where a module sits in the layer stack, for gradients: 0 at the first layer, 1 at the last. */
  private static double layerT(String module, int layers) {
    int layer = LayerNames.layerIndex(module + ".");
    return layer < 0 ? 0 : layers > 1 ? (double) layer / (layers - 1) : 1;
  }

  /** Combines the modules in Spark tasks of {@code jsc}. */
  public static AdapterCombiner.Result run(JavaSparkContext jsc, CheckpointFs fs, JobSpec job,
      String output, boolean overwrite) {
    return run(fs, job, output, overwrite, new SparkModuleRunner(jsc));
  }

  /** Combines the modules with {@code runner} ({@link ModuleRunner#local} on this machine). */
  public static AdapterCombiner.Result run(CheckpointFs fs, JobSpec job, String output,
      boolean overwrite, ModuleRunner runner) {
    OutputDir out = new OutputDir(fs, fs.resolve(output));
    if (out.existsNonEmpty()) {
      if (!overwrite) {
        throw new CheckpointException(out.root() + ": the output directory exists and is not"
            + " empty. Choose a new directory or pass --overwrite to replace it.");
      }
      out.deleteAll();
    }
    SliceSpec slice = job.slices().get(0);
    AdapterParameters params = new AdapterParameters(job, slice);
    List<AdapterCombiner.Input> inputs = new ArrayList<>();
    int maxLayers = 1;
    for (SourceSpec src : slice.sources()) {
      if (src.model().lora() == null) {
        continue; // the base itself, auto-appended: it has no update to combine
      }
      PeftAdapter adapter = PeftAdapter.open(fs, src.model().lora());
      int layers = Math.max(1, LayerNames.inferLayerCount(adapter.modules().keySet()));
      maxLayers = Math.max(maxLayers, layers);
      inputs.add(new AdapterCombiner.Input(adapter, module -> {
        Double w = ParameterResolver.perModel("weight", job, slice, src, module + ".weight",
            layerT(module, layers));
        return w == null ? 1.0 : w;
      }, module -> params.perModel(src, module, layerT(module, layers))));
    }
    if (inputs.isEmpty()) {
      throw new CheckpointException("output: adapter needs at least one BASE+ADAPTER model.");
    }
    OutputSpec spec = job.output();
    int layers = maxLayers;
    AdapterCombiner.Combination how = spec.isDense()
        ? AdapterCombiner.Combination.dense(spec.combination(), spec.rank(), job.seed(),
            module -> params.global(module, layerT(module, layers)), spec.oversampling(),
            spec.powerIterations())
        : spec.combination().equals("svd")
        ? AdapterCombiner.Combination.svd(spec.rank(), SvdSolver.ofConfigName(spec.solver()),
            job.seed(), spec.oversampling(), spec.powerIterations())
        : AdapterCombiner.Combination.exact(spec.combination(), spec.rank());
    how = how.withClamp(spec.clamp());
    AdapterCombiner.Result r = AdapterCombiner.combine(fs, inputs, how, out.root(), runner);
    out.writeText(out.file(Committer.CONFIG_COPY), job.sourceText());
    ObjectNode report = new ObjectMapper().createObjectNode();
    report.put("combination", job.output().combination());
    report.put("rank", r.rank);
    report.put("config_hash", job.configHash());
    ObjectNode energy = report.putObject("energy_kept");
    r.energyKept.forEach(energy::put);
    if (spec.solver() != null) {
      report.put("solver", spec.solver());
    }
    if (spec.clamp() != 0) {
      report.put("clamp", spec.clamp());
    }
    if (r.approximate) {
      // energy_kept is exact for the written factors; the factors themselves are approximate.
      ObjectNode svd = report.putObject("randomized_svd");
      svd.put("oversampling", spec.oversampling());
      svd.put("power_iterations", spec.powerIterations());
      svd.put("seed", job.seed());
      svd.put("note", "B·A approximates the best rank-" + r.rank + " approximation of each"
          + " listed module's merged update; energy_kept is ||B·A||² / ||merged update||² of"
          + " the written factors");
      ArrayNode modules = svd.putArray("modules");
      r.randomized.forEach(modules::add);
    }
    out.writeText(out.file("combine-report.json"), report.toPrettyString() + "\n");
    out.writeText(out.file(OutputDir.SUCCESS), "");
    return r;
  }
}
