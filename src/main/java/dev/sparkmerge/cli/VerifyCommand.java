package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.ByteSizes;
import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.NaturalOrder;
import dev.sparkmerge.checkpoint.SafetensorsHeader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sparkmerge verify OUTPUT}: re-checks a model directory written by {@code run} against its
 * own merge manifest, so a copy to or from a cluster, a partial upload or a flipped bit is caught
 * before the model is used. Every check runs even after one fails, and every problem is listed.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Re-check a model directory written by 'sparkmerge run' against its manifest.",
        "Checks that every shard the index names exists and is a valid safetensors file, index"
            + " and shards agree, _SUCCESS and merge-manifest.json are present, and each shard's"
            + " byte length and SHA-256 (recomputed by streaming the file) match the manifest,"
            + " with no shard missing from either side.",
        "OUTPUT may be a local path or any Hadoop URI (file://, hdfs://, s3a://).",
        "",
        "Exit codes: 0 everything checks out; 1 a problem was found (each one is listed, naming"
            + " the file and what is wrong) or OUTPUT cannot be read; 2 bad command line."})
final class VerifyCommand implements Callable<Integer> {
  static final String SUCCESS = "_SUCCESS";

  @Parameters(index = "0", paramLabel = "OUTPUT", description = "Merged model directory.")
  String output;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    CheckpointFs fs = CheckpointFs.withDefaults();
    Path root = fs.resolve(output);
    FileStatus st = fs.statusOrNull(root);
    if (st == null) {
      throw new CheckpointException(output + ": no such directory.");
    }
    if (!st.isDirectory()) {
      throw new UserInputException(output + ": is a file; verify checks a model directory"
          + " written by 'sparkmerge run' (use 'sparkmerge inspect' for a single file).");
    }
    out.println("verifying " + root);
    List<String> problems = new ArrayList<>();

    HfModel model = checkStructure(fs, root, out, problems);
    if (fs.exists(new Path(root, SUCCESS))) {
      out.println("_SUCCESS   ok");
    } else {
      out.println("_SUCCESS   MISSING");
      problems.add(SUCCESS + ": missing; the merge did not finish (rerun with --resume).");
    }
    VerifyManifest manifest = VerifyManifest.read(fs, root, problems);
    out.println("manifest   " + (manifest == null ? "PROBLEM" : "ok (" + manifest.shards.size()
        + " shard(s))"));
    if (model != null && manifest != null && manifest.tensors >= 0
        && manifest.tensors != model.tensors().size()) {
      problems.add(VerifyManifest.FILE + ": says " + manifest.tensors + " tensors, the model"
          + " holds " + model.tensors().size() + ".");
    }

    Map<String, Long> onDisk = shardFilesOnDisk(fs, root);
    int checked = checkShards(fs, root, onDisk, model, manifest, out, problems);

    if (problems.isEmpty()) {
      out.println("OK: " + checked + " shard(s) match merge-manifest.json; " + root
          + " is complete.");
    } else {
      out.println("FAILED: " + problems.size() + " problem(s) in " + root + ":");
      for (String p : problems) {
        out.println("  - " + p);
      }
    }
    out.flush();
    return problems.isEmpty() ? 0 : 1;
  }

  /** HfModel.open validates index, shard headers and their agreement; null if anything fails. */
  private static HfModel checkStructure(CheckpointFs fs, Path root, PrintWriter out,
      List<String> problems) {
    try {
      HfModel model = HfModel.open(fs, root.toString());
      out.println("structure  ok (" + model.tensors().size() + " tensors in "
          + model.shards().size() + " shard(s)" + (model.isSharded()
              ? ", index and shards agree" : "") + ")");
      return model;
    } catch (CheckpointException e) {
      out.println("structure  PROBLEM");
      problems.add("structure: " + e.getMessage());
      return null;
    }
  }

  /** Visible .safetensors files of the directory with their lengths (temp files are hidden). */
  private static Map<String, Long> shardFilesOnDisk(CheckpointFs fs, Path root) {
    Map<String, Long> files = new TreeMap<>(NaturalOrder.INSTANCE);
    try {
      for (FileStatus s : fs.fileSystem(root).listStatus(root)) {
        String name = s.getPath().getName();
        if (s.isFile() && name.endsWith(".safetensors") && !name.startsWith(".")
            && !name.startsWith("_")) {
          files.put(name, s.getLen());
        }
      }
    } catch (IOException e) {
      throw new CheckpointException(root + ": cannot list the directory: " + e.getMessage(), e);
    }
    return files;
  }

  /** One line per shard; returns how many were compared with the manifest. */
  private static int checkShards(CheckpointFs fs, Path root, Map<String, Long> onDisk,
      HfModel model, VerifyManifest manifest, PrintWriter out, List<String> problems) {
    TreeSet<String> names = new TreeSet<>(NaturalOrder.INSTANCE);
    names.addAll(onDisk.keySet());
    if (manifest != null) {
      names.addAll(manifest.shards.keySet());
    }
    int width = 10;
    for (String n : names) {
      width = Math.max(width, n.length());
    }
    String fmt = "%-10s %-" + width + "s  %s";
    int checked = 0;
    for (String name : names) {
      Long length = onDisk.get(name);
      VerifyManifest.Shard expected = manifest == null ? null : manifest.shards.get(name);
      if (model != null && length != null && !model.shards().containsKey(name)) {
        problems.add(name + ": on disk but not part of the model (no index entry names it).");
      }
      if (length == null) {
        out.println(String.format(fmt, "MISSING", name, "listed in " + VerifyManifest.FILE
            + " but not in the directory"));
        problems.add(name + ": listed in " + VerifyManifest.FILE + " but missing from the"
            + " directory.");
        continue;
      }
      if (manifest == null) {
        out.println(String.format(fmt, "unchecked", name, ByteSizes.human(length)
            + " (no manifest to compare with)"));
        continue;
      }
      if (expected == null) {
        out.println(String.format(fmt, "UNEXPECTED", name, "not listed in "
            + VerifyManifest.FILE));
        problems.add(name + ": on disk but not listed in " + VerifyManifest.FILE + ".");
        continue;
      }
      checked++;
      VerifyDigest.Result actual = VerifyDigest.of(fs, new Path(root, name), length);
      List<String> wrong = new ArrayList<>();
      if (actual.length() != expected.length()) {
        wrong.add("length expected " + expected.length() + " bytes, actual " + actual.length());
      }
      if (!actual.sha256().equals(expected.sha256())) {
        wrong.add("sha256 expected " + expected.sha256() + ", actual " + actual.sha256());
      }
      SafetensorsHeader header = model == null ? null : model.shards().get(name);
      if (header != null && expected.tensors() >= 0
          && header.tensors().size() != expected.tensors()) {
        wrong.add("tensors expected " + expected.tensors() + ", actual "
            + header.tensors().size());
      }
      if (wrong.isEmpty()) {
        out.println(String.format(fmt, "ok", name, ByteSizes.human(actual.length())
            + "  sha256 " + actual.sha256().substring(0, 16) + "…"));
      } else {
        out.println(String.format(fmt, "MISMATCH", name, String.join("; ", wrong)));
        problems.add(name + ": " + String.join("; ", wrong) + ".");
      }
    }
    return checked;
  }
}
