package dev.sparkmerge.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.PeftAdapter;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sparkmerge inspect PATH}: what a checkpoint or adapter holds, from its headers only. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"List the tensors of a safetensors file, a (sharded) model directory or a PEFT"
        + " adapter directory, with totals, layer count and metadata. Reads headers only.",
        "PATH may be a local path or any Hadoop URI (file://, hdfs://, s3a://)."})
final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "PATH", description = "File or directory to inspect.")
  String path;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Option(names = "--no-tensors", description = "Print totals only, not the tensor list.")
  boolean noTensors;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    CheckpointFs fs = CheckpointFs.withDefaults();
    ObjectNode report;
    if (PeftAdapter.isAdapterDirectory(fs, fs.resolve(path))) {
      report = InspectReport.of(PeftAdapter.open(fs, path));
    } else {
      report = InspectReport.of(HfModel.open(fs, path));
    }
    if (noTensors) {
      report.remove("tensors");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(report));
    } else {
      InspectReport.printText(report, out);
    }
    out.flush();
    return 0;
  }
}
