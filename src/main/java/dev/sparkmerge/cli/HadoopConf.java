package dev.sparkmerge.cli;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * The Hadoop configuration the driver plans with: Hadoop's defaults (core-site.xml etc.) plus the
 * {@code spark.hadoop.*} settings given with --conf, exactly as Spark passes them to its own
 * Hadoop configuration, so planning and the Spark tasks see the same file systems.
 */
final class HadoopConf {
  private static final String PREFIX = "spark.hadoop.";

  private HadoopConf() {}

  static Configuration from(Map<String, String> sparkConf) {
    Configuration conf = new Configuration();
    for (Map.Entry<String, String> e : sparkConf.entrySet()) {
      if (e.getKey().startsWith(PREFIX)) {
        conf.set(e.getKey().substring(PREFIX.length()), e.getValue());
      }
    }
    // spark-submit passes --conf settings as system properties.
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith(PREFIX) && !sparkConf.containsKey(key)) {
        conf.set(key.substring(PREFIX.length()), System.getProperty(key));
      }
    }
    return conf;
  }
}
