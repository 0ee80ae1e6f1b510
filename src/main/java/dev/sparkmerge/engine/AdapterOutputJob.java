package dev.sparkmerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.LayerNames;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ParameterResolver;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.lora.AdapterCombiner;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code output: adapter}: combines the config's {@code BASE+ADAPTER} models into one PEFT
 * adapter directory (see {@link AdapterCombiner}) instead of writing a model. Weights resolve per
 * module as for a model merge (filters see {@code <module>.weight}; gradients use the module's
 * layer). The factors are small, so this runs on the driver without a Spark job.
 */
public final class AdapterOutputJob {
  private AdapterOutputJob() {}

  public static AdapterCombiner.Result run(CheckpointFs fs, JobSpec job, String output,
      boolean overwrite) {
    OutputDir out = new OutputDir(fs, fs.resolve(output));
    if (out.existsNonEmpty()) {
      if (!overwrite) {
        throw new CheckpointException(out.root() + ": the output directory exists and is not"
            + " empty. Choose a new directory or pass --overwrite to replace it.");
      }
      out.deleteAll();
    }
    SliceSpec slice = job.slices().get(0);
    List<AdapterCombiner.Input> inputs = new ArrayList<>();
    for (SourceSpec src : slice.sources()) {
      if (src.model().lora() == null) {
        continue; // the base itself, auto-appended: it has no update to combine
      }
      PeftAdapter adapter = PeftAdapter.open(fs, src.model().lora());
      int layers = Math.max(1, LayerNames.inferLayerCount(adapter.modules().keySet()));
      inputs.add(new AdapterCombiner.Input(adapter, module -> {
        int layer = LayerNames.layerIndex(module + ".");
        double t = layer < 0 ? 0 : layers > 1 ? (double) layer / (layers - 1) : 1;
        Double w = ParameterResolver.perModel("weight", job, slice, src, module + ".weight", t);
        return w == null ? 1.0 : w;
      }));
    }
    if (inputs.isEmpty()) {
      throw new CheckpointException("output: adapter needs at least one BASE+ADAPTER model.");
    }
    AdapterCombiner.Result r = AdapterCombiner.combine(fs, inputs, job.output().combination(),
        job.output().rank(), out.root());
    out.writeText(out.file(Committer.CONFIG_COPY), job.sourceText());
    ObjectNode report = new ObjectMapper().createObjectNode();
    report.put("combination", job.output().combination());
    report.put("rank", r.rank);
    report.put("config_hash", job.configHash());
    ObjectNode energy = report.putObject("energy_kept");
    r.energyKept.forEach(energy::put);
    out.writeText(out.file("combine-report.json"), report.toPrettyString() + "\n");
    out.writeText(out.file(OutputDir.SUCCESS), "");
    return r;
  }
}
