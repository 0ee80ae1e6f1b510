package dev.sparkmerge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sparkmerge diff A B}: how far apart two checkpoints are, tensor by tensor. Runs on the
 * driver alone (no Spark): it is a sequential read of both checkpoints, one chunk at a time.
 */
@Command(name = "diff", mixinStandardHelpOptions = true,
    description = {"Compare two checkpoints tensor by tensor (max/mean abs difference, cosine).",
        "For tensors in both checkpoints: the max and mean absolute difference, the cosine"
            + " similarity (accumulated in float64) and whether the stored bytes are identical;"
            + " tensors present on one side only and shape or dtype mismatches are listed. Values"
            + " are streamed 1 Mi elements at a time, so memory does not grow with tensor size.",
        "A and B may each be a model directory (sharded or not) or a single .safetensors file,"
            + " as local paths or any Hadoop URI (file://, hdfs://, s3a://).",
        "",
        "Exit codes: 0 same structure (and, with --tolerance, every max abs difference within"
            + " it); 1 the structure differs (a tensor only on one side, a shape mismatch, or a"
            + " dtype mismatch unless --ignore-dtype), a max abs difference exceeds --tolerance,"
            + " or a checkpoint cannot be read; 2 bad command line."})
final class DiffCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "A", description = "First checkpoint.")
  String a;

  @Parameters(index = "1", paramLabel = "B", description = "Second checkpoint.")
  String b;

  @Option(names = "--json", description = "Print one JSON document instead of the text table.")
  boolean json;

  @Option(names = "--tolerance", paramLabel = "X", description = "Exit 1 if any tensor's max"
      + " absolute difference exceeds X (integer and bool tensors: if their bytes differ)."
      + " Default: no threshold, values never change the exit code.")
  Double tolerance;

  @Option(names = "--ignore-dtype", description = "Do not count a dtype mismatch (say BF16 vs"
      + " F32) as a structural difference; values are compared either way.")
  boolean ignoreDtype;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (tolerance != null && !(tolerance >= 0)) {
      throw new UserInputException("--tolerance must be a number ≥ 0, got " + tolerance);
    }
    CheckpointFs fs = CheckpointFs.withDefaults();
    HfModel modelA = HfModel.open(fs, a);
    HfModel modelB = HfModel.open(fs, b);
    ObjectNode report;
    try (DiffFiles filesA = new DiffFiles(fs); DiffFiles filesB = new DiffFiles(fs)) {
      report = DiffReport.of(modelA, modelB, filesA, filesB, tolerance, ignoreDtype);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(report));
    } else {
      DiffReport.printText(report, out);
    }
    out.flush();
    return report.get("exit_code").asInt();
  }
}
