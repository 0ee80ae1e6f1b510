package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.LoraModule;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;

/**
 * A PEFT adapter laid onto a base model, from headers only (reference/peft-lora.md §2.4–§3.4):
 * every LoRA module mapped to the base tensor it modifies ({@link #targets()}), every lora_bias to
 * the base bias ({@link #biasTargets()}), every full tensor (modules_to_save, saved biases, saved
 * embeddings) to the base tensor it replaces ({@link #replacements()}), or added when the base
 * lacks it ({@link #addedTensors()}).
 *
 * <p>Everything that would make a merge wrong is an error here, on the driver, before any data is
 * read: merge blockers in adapter_config.json, modules the base does not have, shapes that do not
 * fit, two modules on one tensor, a lora_bias on a module without a bias.
 */
public final class AdapterMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String adapterDir;
  private final String baseRoot;
  private final LinkedHashMap<String, LoraTarget> targets;
  private final LinkedHashMap<String, LoraBiasTarget> biasTargets;
  private final LinkedHashMap<String, TensorLocation> replacements;
  private final LinkedHashSet<String> added;
  private final ArrayList<String> warnings;

  private AdapterMapping(String adapterDir, String baseRoot,
      LinkedHashMap<String, LoraTarget> targets, LinkedHashMap<String, LoraBiasTarget> biasTargets,
      LinkedHashMap<String, TensorLocation> replacements, LinkedHashSet<String> added,
      ArrayList<String> warnings) {
    this.adapterDir = adapterDir;
    this.baseRoot = baseRoot;
    this.targets = targets;
    this.biasTargets = biasTargets;
    this.replacements = replacements;
    this.added = added;
    this.warnings = warnings;
  }

  /** Maps every tensor of {@code adapter} onto {@code base}; throws on any problem. */
  public static AdapterMapping map(PeftAdapter adapter, HfModel base) {
    return new Builder(adapter, base).build();
  }

  /** LoRA targets by base tensor name (the stored name: a tied lm_head maps to the embedding). */
  public Map<String, LoraTarget> targets() {
    return Collections.unmodifiableMap(targets);
  }

  /** lora_bias deltas by base bias tensor name (empty unless lora_bias = true). */
  public Map<String, LoraBiasTarget> biasTargets() {
    return Collections.unmodifiableMap(biasTargets);
  }

  /**
   * Full tensors from the adapter file by the base tensor name they replace (or add): the output
   * takes these values instead of the base's. A LoRA target on the same name applies on top.
   */
  public Map<String, TensorLocation> replacements() {
    return Collections.unmodifiableMap(replacements);
  }

  /** Names among {@link #replacements()} that the base does not have (e.g. a score head). */
  public Set<String> addedTensors() {
    return Collections.unmodifiableSet(added);
  }

  /** Things the user should know that do not stop the merge. */
  public List<String> warnings() {
    return Collections.unmodifiableList(warnings);
  }

  public String adapterDir() {
    return adapterDir;
  }

  public String baseRoot() {
    return baseRoot;
  }

  /** Does the mapping, keeping the context every error message needs. */
  private static final class Builder {
    private final PeftAdapter adapter;
    private final HfModel base;
    private final BaseNameResolver names;
    private final String adapterFile;
    private final long dataStart;
    private final Boolean conv1dFamily;
    private final LinkedHashMap<String, LoraTarget> targets = new LinkedHashMap<>();
    private final LinkedHashMap<String, LoraBiasTarget> biasTargets = new LinkedHashMap<>();
    private final LinkedHashMap<String, TensorLocation> replacements = new LinkedHashMap<>();
    private final LinkedHashSet<String> added = new LinkedHashSet<>();
    private final ArrayList<String> warnings = new ArrayList<>();

    Builder(PeftAdapter adapter, HfModel base) {
      this.adapter = adapter;
      this.base = base;
      this.names = new BaseNameResolver(base);
      this.adapterFile = new Path(adapter.dir(), PeftAdapter.WEIGHTS_FILE).toString();
      this.dataStart = adapter.header().dataStart();
      this.conv1dFamily = Orientation.conv1dFamily(base.config());
    }

    AdapterMapping build() {
      List<String> blockers = adapter.config().mergeBlockers();
      if (!blockers.isEmpty()) {
        throw error("cannot be merged into base model " + base.root() + ": "
            + String.join("; ", blockers) + ".");
      }
      if (adapter.modules().isEmpty() && adapter.fullTensors().isEmpty()) {
        throw error("has no tensors to merge into base model " + base.root() + ".");
      }
      for (Map.Entry<String, TensorInfo> e : adapter.fullTensors().entrySet()) {
        mapFullTensor(e.getKey(), e.getValue());
      }
      List<String> missing = new ArrayList<>();
      CheckpointException firstMissing = null;
      for (LoraModule m : adapter.modules().values()) {
        try {
          mapModule(m);
        } catch (MissingModule e) {
          missing.add(m.modulePath());
          if (firstMissing == null) {
            firstMissing = e.error;
          }
        }
      }
      if (firstMissing != null) {
        throw missing.size() == 1 ? firstMissing : new CheckpointException(
            firstMissing.getMessage() + " " + (missing.size() - 1) + " other module(s) are"
                + " missing too: " + abbreviate(missing.subList(1, missing.size())) + ".");
      }
      if (conv1dFamily == null && !targets.isEmpty()) {
        warnings.add("base model " + base.root() + " has no config.json with model_type: the"
            + " orientation of ΔW was decided from module names and shapes.");
      }
      return new AdapterMapping(adapter.dir().toString(), base.root().toString(), targets,
          biasTargets, replacements, added, warnings);
    }

    /** Thrown for a module the base lacks, so all missing modules can be reported at once. */
    private static final class MissingModule extends RuntimeException {
      private static final long serialVersionUID = 1L;
      final CheckpointException error;

      MissingModule(CheckpointException error) {
        super(error.getMessage(), null, false, false);
        this.error = error;
      }
    }

    private void mapModule(LoraModule m) {
      String path = m.modulePath();
      String key = m.a().name();
      if (!m.a().dtype().isFloatingPoint()
          || !m.b().dtype().isFloatingPoint()) {
        throw error("module '" + path + "' (key '" + key + "') has factors of dtype "
            + m.a().dtype() + "/" + m.b().dtype() + "; LoRA factors must be floating point.");
      }
      BaseNameResolver.Result r = names.resolve(path + ".weight", true);
      if (r.location == null) {
        throw new MissingModule(noSuchModule(path, key, r));
      }
      String baseName = r.location.info().name();
      if (!baseName.equals(r.matchedName)) {
        warnings.add("module '" + path + "': base tensor '" + r.matchedName + "' is tied to '"
            + baseName + "', so the ΔW changes the shared tensor (as PEFT does).");
      }
      TensorLocation replaced = replacements.get(baseName);
      long[] shape = replaced != null ? replaced.info().shape() : r.location.info().shape();
      boolean transposed = decideTransposed(m, path, key, baseName, shape);
      checkShape(m, path, key, baseName, shape, transposed);
      boolean dora = doraFor(m, path, key);
      LoraTarget t = new LoraTarget(baseName, shape, transposed, m.isEmbedding(), m.scale(),
          adapterFile, dataStart, m.a(), m.b(), m.biasB(), path, dora,
          dora ? m.magnitude() : null);
      LoraTarget previous = targets.put(baseName, t);
      if (previous != null) {
        throw error("modules '" + previous.modulePath() + "' and '" + path + "' both modify base"
            + " tensor '" + baseName + "' of base model " + base.root() + " (a tied embedding"
            + " and lm_head?). Merge them as separate adapters or drop one.");
      }
      if (m.biasB() != null) {
        mapBias(m, path, baseName);
      }
    }

    private CheckpointException noSuchModule(String path, String key, BaseNameResolver.Result r) {
      if (!r.ambiguous.isEmpty()) {
        return error("module '" + path + "' (key '" + key + "') matches several tensors of base"
            + " model " + base.root() + ": " + r.ambiguous + ". The base mixes naming schemes;"
            + " rename its tensors consistently.");
      }
      List<String> similar = names.similar(path + ".weight");
      String baseModel = adapter.config().baseModel();
      return error("module '" + path + "' (key '" + key + "') has no weight in base model "
          + base.root() + "; tried " + abbreviate(r.tried) + "."
          + (similar.isEmpty() ? "" : " The base has e.g. " + similar + ".")
          + " Check that the adapter was trained on this base"
          + (baseModel != null ? " (adapter_config.json says base_model_name_or_path = '"
              + baseModel + "')" : "") + ".");
    }

    private boolean decideTransposed(LoraModule m, String path, String key, String baseName,
        long[] shape) {
      if (m.isEmbedding()) {
        return true; // PEFT's Embedding always adds (B·A)ᵀ (reference §2.5)
      }
      if (conv1dFamily != null) {
        return conv1dFamily && Orientation.conv1dName(path);
      }
      // No config: fall back to shapes, and to the Conv1D names only when the shape is square.
      boolean fitsStraight = fits(shape, m.outFeatures(), m.inFeatures());
      boolean fitsTransposed = fits(shape, m.inFeatures(), m.outFeatures());
      if (fitsStraight && !fitsTransposed) {
        return false;
      }
      if (fitsTransposed && !fitsStraight) {
        return true;
      }
      return Orientation.conv1dName(path);
    }

    private void checkShape(LoraModule m, String path, String key, String baseName, long[] shape,
        boolean transposed) {
      long rows = transposed ? m.inFeatures() : m.outFeatures();
      long cols = transposed ? m.outFeatures() : m.inFeatures();
      if (fits(shape, rows, cols)) {
        return;
      }
      boolean otherFits = fits(shape, cols, rows);
      String why = transposed
          ? (m.isEmbedding() ? "an embedding's ΔW = s·(B·A)ᵀ" : "a GPT-2 Conv1D's ΔW = s·(B·A)ᵀ")
          : "ΔW = s·B·A";
      throw error("module '" + path + "' (key '" + key + "') does not fit base model "
          + base.root() + ": lora_A " + m.a().shapeString() + " and lora_B "
          + m.b().shapeString() + " give " + why + " of shape [" + rows + ", " + cols
          + "], but base tensor '" + baseName + "' is " + Arrays.toString(shape) + "."
          + (otherFits ? " It would fit transposed: check model_type in the base's config.json."
              : " The adapter was trained on a different base."));
    }

    private static boolean fits(long[] shape, long rows, long cols) {
      return shape.length == 2 && shape[0] == rows && shape[1] == cols;
    }

    private boolean doraFor(LoraModule m, String path, String key) {
      boolean useDora = adapter.config().useDora();
      if (!useDora) {
        if (m.magnitude() != null) {
          warnings.add("module '" + path + "' has a lora_magnitude_vector but use_dora is false:"
              + " merged as plain LoRA, as PEFT loads it.");
        }
        return false;
      }
      if (m.magnitude() == null) {
        throw error("module '" + path + "' (key '" + key + "') has no lora_magnitude_vector"
            + " although adapter_config.json sets use_dora; base model " + base.root()
            + ". The adapter file is incomplete.");
      }
      if (m.magnitude().numel() != m.outFeatures()) {
        throw error("module '" + path + "': lora_magnitude_vector "
            + m.magnitude().shapeString() + " should have " + m.outFeatures()
            + " elements (one per output feature); base model " + base.root() + ".");
      }
      return true;
    }

    private void mapBias(LoraModule m, String path, String weightName) {
      String key = m.biasB().name();
      if (m.isEmbedding() || !weightName.endsWith(".weight")) {
        throw error("module '" + path + "' (key '" + key + "') has a lora_B bias, but its base"
            + " tensor '" + weightName + "' in base model " + base.root() + " has no bias.");
      }
      String biasName = weightName.substring(0, weightName.length() - ".weight".length())
          + ".bias";
      TensorLocation bias = replacements.containsKey(biasName) ? replacements.get(biasName)
          : base.tensors().get(biasName);
      if (bias == null) {
        throw error("module '" + path + "' (key '" + key + "') has a lora_B bias (lora_bias ="
            + " true), but base model " + base.root() + " has no '" + biasName + "' to add it"
            + " to. PEFT refuses to merge this too; use a base whose layer has a bias.");
      }
      if (bias.info().numel() != m.outFeatures() || m.biasB().numel() != m.outFeatures()) {
        throw error("module '" + path + "': lora_B bias " + m.biasB().shapeString()
            + " and base bias '" + biasName + "' " + bias.info().shapeString() + " of base model "
            + base.root() + " should both have " + m.outFeatures() + " elements.");
      }
      biasTargets.put(biasName, new LoraBiasTarget(biasName, m.outFeatures(), m.scale(),
          adapterFile, dataStart, m.biasB(), path));
    }

    private void mapFullTensor(String name, TensorInfo info) {
      if (name.contains(".token_adapter.")) {
        throw error("tensor '" + info.name() + "' holds trainable_token_indices rows; merging"
            + " trainable tokens into base model " + base.root() + " is not supported yet.");
      }
      if (!info.dtype().isFloatingPoint()) {
        throw error("full tensor '" + info.name() + "' has dtype " + info.dtype()
            + "; only floating-point replacements can be merged into base model "
            + base.root() + ".");
      }
      BaseNameResolver.Result r = names.resolve(name, false);
      if (!r.ambiguous.isEmpty()) {
        throw error("full tensor '" + info.name() + "' matches several tensors of base model "
            + base.root() + ": " + r.ambiguous + ".");
      }
      String target = r.location != null ? r.matchedName : name;
      TensorLocation loc = new TensorLocation(adapterFile, dataStart, info);
      if (r.location == null) {
        added.add(target);
        if (base.find(target) != null) {
          warnings.add("base model " + base.root() + " ties '" + target + "' to its input"
              + " embedding; the adapter's own copy is added as a separate tensor, so the output's"
              + " config.json needs tie_word_embeddings = false.");
        }
        warnings.add("tensor '" + target + "' from the adapter (modules_to_save or a head) is"
            + " not in base model " + base.root() + "; it is added to the output"
            + (baseLacksPrefix() ? "; the base's tensors carry no architecture prefix"
                + " (transformer., model.), so check that the output loads with the intended"
                + " model class" : "") + ".");
      } else {
        long[] baseShape = r.location.info().shape();
        if (!Arrays.equals(baseShape, info.shape())) {
          boolean resized = baseShape.length == 2 && info.rank() == 2
              && baseShape[1] == info.dim(1);
          if (!resized) {
            throw error("full tensor '" + info.name() + "' " + info.shapeString()
                + " replaces '" + target + "' of base model " + base.root() + ", which is "
                + Arrays.toString(baseShape) + "; the shapes must agree.");
          }
          warnings.add("tensor '" + target + "' is replaced with " + info.dim(0) + " rows"
              + " instead of " + baseShape[0] + " (resized vocabulary).");
        }
      }
      if (replacements.put(target, loc) != null) {
        throw error("two full tensors replace '" + target + "' of base model " + base.root()
            + "; the adapter file is inconsistent.");
      }
    }

    /** True for a base saved without its architecture prefix (GPT-2's h.0...). */
    private boolean baseLacksPrefix() {
      for (String n : base.tensors().keySet()) {
        if (n.startsWith("transformer.") || n.startsWith("model.")) {
          return false;
        }
      }
      return true;
    }

    private CheckpointException error(String what) {
      return new CheckpointException("Adapter " + adapter.dir() + ": " + what);
    }

    private static String abbreviate(List<String> names) {
      if (names.size() <= 6) {
        return names.toString();
      }
      return names.subList(0, 6) + " and " + (names.size() - 6) + " more";
    }
  }
}
