package dev.sparkmerge.engine;

import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a small table as one Parquet file with a fixed name, {@code DIR/part-00000.snappy.parquet}
 * (Spark names its files with a random UUID, and local file systems add checksum files named
 * after them): the same rows give the same files, so outputs stay byte-identical run to run.
 */
final class ParquetTables {
  static final String FILE = "part-00000.snappy.parquet";

  private ParquetTables() {}

  static void write(JavaSparkContext jsc, List<Row> rows, StructType schema, String dir) {
    SparkSession spark = SparkSession.builder().sparkContext(jsc.sc()).getOrCreate();
    spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.Overwrite)
        .parquet(dir);
    Path d = new Path(dir);
    try {
      FileSystem fs = d.getFileSystem(jsc.hadoopConfiguration());
      for (FileStatus st : fs.listStatus(d)) {
        String name = st.getPath().getName();
        if (name.startsWith("part-") && name.endsWith(".parquet") && !name.equals(FILE)) {
          if (!fs.rename(st.getPath(), new Path(d, FILE))) {
            throw new IOException("cannot rename " + st.getPath() + " to " + FILE);
          }
        } else if (name.startsWith(".part-") && name.endsWith(".crc")) {
          fs.delete(st.getPath(), false); // the checksum of the old name; optional for readers
        }
      }
    } catch (IOException e) {
      throw new dev.sparkmerge.checkpoint.CheckpointException(dir + ": cannot name the table's"
          + " file: " + e.getMessage(), e);
    }
  }
}
