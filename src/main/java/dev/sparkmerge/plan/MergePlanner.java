package dev.sparkmerge.plan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import dev.sparkmerge.checkpoint.SafetensorsHeader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.config.ModelRef;
import dev.sparkmerge.config.ParameterResolver;
import dev.sparkmerge.config.SliceSpec;
import dev.sparkmerge.config.SourceSpec;
import dev.sparkmerge.lora.AdapterMapping;
import dev.sparkmerge.method.MergeException;
import dev.sparkmerge.method.MergeMethod;
import dev.sparkmerge.method.MethodParameters;
import dev.sparkmerge.method.MethodRegistry;
import dev.sparkmerge.method.ParameterSpec;
import dev.sparkmerge.method.ShapeRule;
import dev.sparkmerge.method.TensorKernel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link MergePlan} from a validated {@link JobSpec}, reading only headers and small JSON
 * files (reference/mergekit.md §2). Every input problem — a missing model or tensor, shapes that
 * cannot merge, a parameter the method rejects for some tensor — is collected and reported
 * together before anything is written.
 *
 * <p>Departure from DESIGN.md's package table: the planner uses the {@code method} package (also
 * plain Java) to bind each tensor's kernel at plan time, which is what lets every parameter error
 * surface before the first output byte.
 */
public final class MergePlanner {
  private static final String TOOL_VERSION = "sparkmerge 0.1.0";

  private final JobSpec job;
  private final CheckpointFs fs;
  private final PlanOptions options;
  private final MergeMethod method;
  /** Every referenced model (plain or with an adapter), by its config reference. */
  private final Map<ModelRef, SourceModel> sources = new LinkedHashMap<>();
  /** Checkpoints by path, each opened once even when several references use it. */
  private final Map<String, HfModel> checkpoints = new LinkedHashMap<>();
  private final Map<String, Long> fileLengths = new HashMap<>();
  private final List<String> problems = new ArrayList<>();
  private final Map<String, List<String>> tensorProblems = new HashMap<>();
  private final Map<String, Integer> tensorProblemIndex = new HashMap<>();
  private final List<String> warnings = new ArrayList<>();

  private MergePlanner(JobSpec job, CheckpointFs fs, PlanOptions options) {
    this.job = job;
    this.fs = fs;
    this.options = options;
    this.method = MethodRegistry.get(job.mergeMethod());
  }

  /** Plans the job; throws {@link PlanException} listing every problem found. */
  public static MergePlan plan(JobSpec job, CheckpointFs fs, PlanOptions options) {
    return new MergePlanner(job, fs, options).build();
  }

  private MergePlan build() {
    openModels();
    throwIfProblems();
    List<TensorPlan> tensors = planTensors();
    throwIfProblems();
    if (tensors.isEmpty()) {
      throw new PlanException("the merge produces no tensors: the input models have no tensors"
          + " in common that the method keeps.");
    }
    List<ShardPlan> shards = Sharding.assign(tensors, options.maxShardBytes());
    Map<String, String> fingerprints = new HashMap<>();
    for (ShardPlan s : shards) {
      fingerprints.put(s.fileName(), fingerprint(s));
    }
    HfModel donorModel = sources.get(donorRef()).checkpoint();
    String config = outputConfig(donorModel, tensors);
    List<String> copy = new ArrayList<>();
    for (String f : donorModel.otherFiles()) {
      if (!f.equals("README.md") && !f.equals("mergekit_config.yml")
          && !f.equals("merge-manifest.json")) {
        copy.add(f);
      }
    }
    Map<String, Long> inputs = new LinkedHashMap<>();
    for (HfModel m : checkpoints.values()) {
      long size = 0;
      for (SafetensorsHeader h : m.shards().values()) {
        size += h.fileLength();
      }
      inputs.put(m.root().toString(), size);
    }
    return new MergePlan(job, options, tensors, shards, fingerprints,
        donorModel.root().toString(), config, copy, inputs, warnings);
  }

  private void throwIfProblems() {
    if (!problems.isEmpty()) {
      throw new PlanException(problems);
    }
  }

  /**
   * Records a problem of one tensor. The same mistake usually hits every tensor of a kind (a
   * density that keeps nothing, a missing base), so problems that differ only in the tensor name
   * are reported once, naming how many other tensors share it.
   */
  private void tensorProblem(String tensor, String message) {
    String key = message.replace(tensor, "\u0000");
    List<String> tensors = tensorProblems.computeIfAbsent(key, k -> new ArrayList<>());
    tensors.add(tensor);
    if (tensors.size() == 1) {
      problems.add(message);
      tensorProblemIndex.put(key, problems.size() - 1);
    } else {
      String first = tensors.get(0);
      problems.set(tensorProblemIndex.get(key), message.replace(tensor, first)
          + " (the same for " + (tensors.size() - 1) + " more tensor(s), e.g. " + tensor + ")");
    }
  }

  /** Opens every referenced model once (headers, index, config.json). */
  private void openModels() {
    Set<ModelRef> refs = new LinkedHashSet<>();
    if (job.baseModel() != null) {
      refs.add(job.baseModel());
    }
    for (SliceSpec slice : job.slices()) {
      if (slice.baseModel() != null) {
        refs.add(slice.baseModel());
      }
      for (SourceSpec s : slice.sources()) {
        refs.add(s.model());
      }
    }
    for (ModelRef ref : refs) {
      try {
        sources.put(ref, open(ref));
      } catch (CheckpointException | PlanException e) {
        problems.add("model '" + ref.display() + "': " + e.getMessage());
      }
    }
  }

  private SourceModel open(ModelRef ref) {
    if (ref.lora() == null) {
      return new SourceModel(ref.display(), checkpoint(ref.path()));
    }
    PeftAdapter adapter = PeftAdapter.open(fs, ref.lora());
    AdapterMapping mapping = AdapterMapping.map(adapter, checkpoint(ref.path()));
    for (String w : mapping.warnings()) {
      warnings.add(ref.display() + ": " + w);
    }
    String file = new org.apache.hadoop.fs.Path(adapter.dir(), PeftAdapter.WEIGHTS_FILE)
        .toString();
    fileLengths.put(file, adapter.header().fileLength());
    return new AdapterSource(ref.display(), checkpoint(ref.path()), mapping);
  }

  private HfModel checkpoint(String path) {
    HfModel m = checkpoints.get(path);
    if (m == null) {
      m = HfModel.open(fs, path);
      checkpoints.put(path, m);
      for (Map.Entry<String, SafetensorsHeader> e : m.shards().entrySet()) {
        fileLengths.put(fileOf(m, e.getKey()), e.getValue().fileLength());
      }
    }
    return m;
  }

  private static String fileOf(HfModel m, String shard) {
    return m.isDirectory() ? new org.apache.hadoop.fs.Path(m.root(), shard).toString()
        : m.root().toString();
  }

  /** One output slice with its sources' layer ranges resolved. */
  private static final class ResolvedSlice {
    final SliceSpec spec;
    final int[] starts;
    final int length;

    ResolvedSlice(SliceSpec spec, int[] starts, int length) {
      this.spec = spec;
      this.starts = starts;
      this.length = length;
    }
  }

  private List<TensorPlan> planTensors() {
    List<ResolvedSlice> slices = resolveSlices();
    if (!problems.isEmpty()) {
      return List.of();
    }
    List<TensorPlan> out = new ArrayList<>();
    ResolvedSlice first = slices.get(0);
    ResolvedSlice last = slices.get(slices.size() - 1);
    for (String name : outsideNames(first, true)) {
      planOne(out, name, TensorPlan.PRE_WEIGHTS, 0.0, first, name, -1, first.spec.sources().size());
    }
    int outLayer = 0;
    for (ResolvedSlice slice : slices) {
      List<String> templates = templates(slice);
      for (int k = 0; k < slice.length; k++) {
        double t = slice.length > 1 ? (double) k / (slice.length - 1) : 1.0;
        for (String template : templates) {
          planOne(out, ModelLayout.name(template, outLayer), outLayer, t, slice, template, k,
              slice.spec.sources().size());
        }
        outLayer++;
      }
    }
    // mergekit zips the last slice's sources with the first slice's (§2.3).
    int postSources = Math.min(last.spec.sources().size(), first.spec.sources().size());
    for (String name : outsideNames(last, false)) {
      planOne(out, name, TensorPlan.POST_WEIGHTS, 0.0, last, name, -1, postSources);
    }
    return out;
  }

  private List<ResolvedSlice> resolveSlices() {
    List<ResolvedSlice> out = new ArrayList<>();
    for (int i = 0; i < job.slices().size(); i++) {
      SliceSpec slice = job.slices().get(i);
      int n = slice.sources().size();
      int[] starts = new int[n];
      int length = -1;
      for (int s = 0; s < n; s++) {
        SourceSpec src = slice.sources().get(s);
        ModelLayout layout = sources.get(src.model()).layout();
        int[] range = src.layerRange();
        int start = range == null ? 0 : range[0];
        int end = range == null ? layout.layerCount() : range[1];
        if (end > layout.layerCount()) {
          problems.add("slice " + i + ", source " + src.model().display() + ": layer_range ends at "
              + end + " but the model has " + layout.layerCount() + " layers.");
          continue;
        }
        starts[s] = start;
        if (length >= 0 && end - start != length) {
          problems.add("slice " + i + ": all sources must cover the same number of layers ("
              + length + " vs " + (end - start) + " for " + src.model().display() + ").");
        }
        length = end - start;
      }
      out.add(new ResolvedSlice(slice, starts, Math.max(length, 0)));
    }
    return out;
  }

  /** Layer templates of a slice's sources: the first source's order, then any others'. */
  private List<String> templates(ResolvedSlice slice) {
    Set<String> all = new LinkedHashSet<>();
    for (SourceSpec s : slice.spec.sources()) {
      all.addAll(sources.get(s.model()).layout().layerTemplates());
    }
    return List.copyOf(all);
  }

  /** Pre- or post-weight names of a slice's sources, first source's order first. */
  private List<String> outsideNames(ResolvedSlice slice, boolean pre) {
    Set<String> all = new LinkedHashSet<>();
    for (SourceSpec s : slice.spec.sources()) {
      ModelLayout l = sources.get(s.model()).layout();
      all.addAll(pre ? l.preWeights() : l.postWeights());
    }
    return List.copyOf(all);
  }

  /**
   * Plans one output tensor.
   *
   * @param nameOrTemplate the tensor name (outside layers) or layer template
   * @param k the layer offset within the slice, or -1 outside layers
   * @param sourceCount how many of the slice's sources take part
   */
  private void planOne(List<TensorPlan> out, String outName, int group, double t,
      ResolvedSlice slice, String nameOrTemplate, int k, int sourceCount) {
    ModelRef baseRef = slice.spec.baseModel() != null ? slice.spec.baseModel() : job.baseModel();
    boolean separateBase = baseRef != null
        && method.baseModelUse() != MergeMethod.BaseModelUse.ORDINARY_INPUT;
    InputRef base = null;
    boolean baseListed = false;
    List<SourceSpec> modelSources = new ArrayList<>();
    List<InputRef> modelInputs = new ArrayList<>();
    List<String> modelInputNames = new ArrayList<>();
    for (int s = 0; s < sourceCount; s++) {
      SourceSpec src = slice.spec.sources().get(s);
      String inputName = k < 0 ? nameOrTemplate
          : ModelLayout.name(nameOrTemplate, slice.starts[s] + k);
      InputRef in;
      try {
        in = sources.get(src.model()).find(inputName);
      } catch (PlanException e) {
        problems.addAll(e.problems());
        return;
      }
      if (separateBase && src.model().equals(baseRef)) {
        baseListed = true;
        base = in;
        continue;
      }
      if (in != null) {
        modelSources.add(src);
        modelInputs.add(in);
        modelInputNames.add(inputName);
      }
    }
    if (separateBase && !baseListed) {
      tensorProblem(outName, outName + ": base_model " + baseRef.display() + " is not among the"
          + " slice's sources; with slices, list the base model in each slice (as mergekit"
          + " requires).");
      return;
    }
    if (base == null && modelInputs.isEmpty()) {
      return;
    }
    InputRef first = base != null ? base : modelInputs.get(0);
    if (!allFloating(base, modelInputs)) {
      planRawCopy(out, outName, group, t, first, "is not floating point");
      return;
    }
    if (base == null && separateBase && modelInputs.size() == 1
        && method.baseModelUse() == MergeMethod.BaseModelUse.REQUIRED) {
      // A tensor the base lacks and one model adds (a classification head from an adapter's
      // modules_to_save, a new projection): nothing to merge it with, so it is taken as is.
      planRawCopy(out, outName, group, t, first, "exists only in "
          + modelSources.get(0).model().display() + ", not in the base");
      return;
    }
    List<long[]> shapes = new ArrayList<>();
    for (InputRef in : modelInputs) {
      shapes.add(in.stored().shape());
    }
    ShapeRule.Resolution res;
    try {
      res = method.shapeRule().resolve(outName, ModelLayout.isEmbed(outName),
          base == null ? null : base.stored().shape(), shapes);
    } catch (MergeException e) {
      tensorProblem(outName, e.getMessage());
      return;
    }
    List<String> tensorWarnings = new ArrayList<>(res.warnings);
    warnings.addAll(res.warnings);
    InputRef baseRefCropped = base == null ? null : ref(base, res.shape);
    List<InputRef> inputs = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Map<String, Object>> perModel = new ArrayList<>();
    for (int i : res.included) {
      inputs.add(ref(modelInputs.get(i), res.shape));
      labels.add(modelSources.get(i).model().display());
      perModel.add(perModelParameters(slice.spec, modelSources.get(i), modelInputNames.get(i), t));
    }
    MethodParameters params = new MethodParameters(globalParameters(slice.spec, outName, t),
        perModel);
    boolean optional = inputs.size() + (base == null ? 0 : 1) < sourceCount;
    TensorKernel kernel;
    try {
      kernel = method.bind(new dev.sparkmerge.method.TensorSpec(outName, res.shape, inputs.size(),
          baseRefCropped != null, optional, job.seed()), params);
    } catch (MergeException | IllegalArgumentException e) {
      tensorProblem(outName, outName + ": " + e.getMessage());
      return;
    }
    if (!kernel.writesOutput()) {
      return;
    }
    out.add(new TensorPlan(outName, res.shape, outputDtype(first.stored().dtype()), group, t,
        method.name(), params, kernel, baseRefCropped, inputs, labels, tensorWarnings));
  }

  private void planRawCopy(List<TensorPlan> out, String outName, int group, double t,
      InputRef from, String why) {
    if (from.deltaKey() != null) {
      problems.add(outName + ": " + why + " but carries a LoRA update; it cannot be copied as"
          + " stored.");
      return;
    }
    String w = outName + ": " + why + "; copied unchanged from " + from.file() + ".";
    warnings.add(w);
    out.add(new TensorPlan(outName, from.stored().shape(), from.stored().dtype(), group, t,
        "copy", MethodParameters.empty(0), null, from, List.of(), List.of(), List.of(w)));
  }

  private static boolean allFloating(InputRef base, List<InputRef> inputs) {
    if (base != null && !base.stored().dtype().isFloatingPoint()) {
      return false;
    }
    for (InputRef in : inputs) {
      if (!in.stored().dtype().isFloatingPoint()) {
        return false;
      }
    }
    return true;
  }

  private static InputRef ref(InputRef r, long[] used) {
    return r.withUsedShape(used);
  }

  private Map<String, Object> perModelParameters(SliceSpec slice, SourceSpec src, String inputName,
      double t) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (ParameterSpec p : method.parameters().specs()) {
      if (p.scope != ParameterSpec.Scope.PER_MODEL) {
        continue;
      }
      Object v = p.type == ParameterSpec.Type.CHOICE
          ? ParameterResolver.choice(p.name, job, slice, src, inputName)
          : typed(p, ParameterResolver.perModel(p.name, job, slice, src, inputName, t));
      if (v != null) {
        values.put(p.name, v);
      }
    }
    return values;
  }

  private Map<String, Object> globalParameters(SliceSpec slice, String outName, double t) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (ParameterSpec p : method.parameters().specs()) {
      if (p.scope != ParameterSpec.Scope.GLOBAL) {
        continue;
      }
      Object v = p.type == ParameterSpec.Type.CHOICE
          ? ParameterResolver.choice(p.name, job, slice, outName)
          : typed(p, ParameterResolver.global(p.name, job, slice, outName, t));
      if (v != null) {
        values.put(p.name, v);
      }
    }
    return values;
  }

  private static Object typed(ParameterSpec p, Double v) {
    if (v == null) {
      return null;
    }
    return p.type == ParameterSpec.Type.BOOLEAN ? (Object) (v != 0.0) : (Object) v;
  }

  /** out_dtype, else dtype, else the input's own dtype (F8 inputs are written as BF16). */
  private DType outputDtype(DType stored) {
    String name = job.outDtype() != null ? job.outDtype() : job.dtype();
    if (name != null) {
      switch (name) {
        case "bfloat16": return DType.BF16;
        case "float16": return DType.F16;
        case "float32": return DType.F32;
        default: throw new IllegalStateException("unvalidated dtype " + name);
      }
    }
    return stored.bits() == 8 ? DType.BF16 : stored;
  }

  /** The base model, else the first source of the first slice (mergekit's choice is arbitrary). */
  private ModelRef donorRef() {
    if (job.baseModel() != null) {
      return job.baseModel();
    }
    return job.slices().get(0).sources().get(0).model();
  }

  /** The donor's config.json with the output dtype and (for slices) the layer count updated. */
  private String outputConfig(HfModel donor, List<TensorPlan> tensors) {
    if (donor.config() == null) {
      return null;
    }
    ObjectNode tree = donor.config().tree();
    String dtype = job.outDtype() != null ? job.outDtype() : job.dtype();
    if (dtype != null) {
      tree.put(tree.has("torch_dtype") && !tree.has("dtype") ? "torch_dtype" : "dtype", dtype);
    }
    if (job.slicesSyntax() && donor.config().layerCountKey() != null) {
      int layers = 0;
      for (TensorPlan t : tensors) {
        if (t.group() != TensorPlan.PRE_WEIGHTS && t.group() != TensorPlan.POST_WEIGHTS) {
          layers = Math.max(layers, t.group() + 1);
        }
      }
      tree.put(donor.config().layerCountKey(), layers);
    }
    return tree.toPrettyString() + "\n";
  }

  private String fingerprint(ShardPlan shard) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    update(md, TOOL_VERSION);
    update(md, job.configHash());
    update(md, shard.fileName());
    md.update(shard.layout().headerBytes());
    for (TensorPlan t : shard.tensors()) {
      update(md, t.name());
      List<InputRef> inputs = new ArrayList<>(t.models());
      if (t.base() != null) {
        inputs.add(0, t.base());
      }
      for (InputRef in : inputs) {
        update(md, in.file() + "#" + fileLengths.get(in.file()) + "@" + in.dataStart() + "+"
            + in.stored().begin() + ":" + in.stored().end());
        if (in.deltaKey() != null) {
          String adapterFile = in.lora() != null ? in.lora().adapterFile()
              : in.loraBias().adapterFile();
          update(md, in.deltaKey() + "#" + fileLengths.get(adapterFile));
        }
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, String s) {
    md.update(s.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
  }
}
