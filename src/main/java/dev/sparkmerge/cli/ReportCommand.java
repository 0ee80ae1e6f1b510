package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.config.ConfigLoader;
import dev.sparkmerge.config.JobSpec;
import dev.sparkmerge.engine.RegistryCatalog;
import dev.sparkmerge.engine.ReportTables;
import dev.sparkmerge.engine.SparkContexts;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sparkmerge report OUTPUT}: writes OUTPUT/report.html again from the committed files. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = {"Write OUTPUT/report.html (charts and tables of a merge, a grid or a combined"
        + " adapter) from the files a run committed. Spark reads the statistics tables.",
        "OUTPUT may be a local path or any Hadoop URI (hdfs://, s3a://)."})
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "OUTPUT", description = "Output of sparkmerge run.")
  String output;

  @Mixin
  SparkOptions sparkOptions = new SparkOptions();

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    CheckpointFs fs = sparkOptions.fileSystems();
    Path root = fs.resolve(output);
    if (!fs.exists(root)) {
      throw new UserInputException(output + " does not exist.");
    }
    JobSpec job = committedJob(fs, root);
    try (SparkContexts.Session spark = SparkContexts.session("sparkmerge report " + output,
        sparkOptions.sessionConf())) {
      ReportTables.write(spark.context(), fs, output, job);
    }
    out.println("Wrote " + new Path(root, ReportTables.REPORT));
    return 0;
  }

  /**
   * The committed config, parsed for the names of the inputs; null when it is missing or no
   * longer parses (an adapter glob that matches nothing now): the report then numbers them.
   */
  private static JobSpec committedJob(CheckpointFs fs, Path root) {
    Path file = ReportTables.configFile(fs, root);
    if (file == null) {
      return null;
    }
    try {
      String text = new String(fs.readSmallFile(file, "the committed config", 16 << 20),
          StandardCharsets.UTF_8);
      return ConfigLoader.loadCandidates(text, file.toString(), RegistryCatalog.INSTANCE,
          new HadoopAdapterLister(fs)).get(0).spec();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
