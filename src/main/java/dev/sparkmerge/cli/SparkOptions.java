package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.CheckpointFs;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --master} and {@code --conf} of the commands that run Spark. */
final class SparkOptions {
  @Option(names = "--master", paramLabel = "URL", description = "Spark master (default:"
      + " local[*], or whatever spark-submit set).")
  String master;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "Extra Spark setting"
      + " (repeatable).")
  Map<String, String> sparkConf = new LinkedHashMap<>();

  /** The settings for the Spark session: --conf values, and --master as spark.master. */
  Map<String, String> sessionConf() {
    Map<String, String> conf = new LinkedHashMap<>(sparkConf);
    if (master != null) {
      conf.put("spark.master", master);
    }
    return conf;
  }

  /** The file systems, configured by the spark.hadoop.* settings. */
  CheckpointFs fileSystems() {
    return new CheckpointFs(HadoopConf.from(sparkConf));
  }
}
