package dev.sparkmerge.engine;

import dev.sparkmerge.config.GridCandidate;
import dev.sparkmerge.config.JobSpec;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The per-candidate statistics table of a grid, written with Spark SQL as Parquet under
 * {@code OUTPUT/stats/candidate=<id>/} — one partition per candidate, so a candidate kept by
 * --resume keeps its rows and the whole table reads as one dataset with a {@code candidate}
 * column: {@code spark.read.parquet("OUTPUT/stats")}, across many scheduled runs.
 */
public final class StatsTable {
  static final String DIR = "stats";

  private static final StructType SCHEMA = new StructType()
      .add("config_hash", DataTypes.StringType)
      .add("merge_method", DataTypes.StringType)
      .add("tensor", DataTypes.StringType)
      .add("numel", DataTypes.LongType)
      .add("delta_l2", DataTypes.DoubleType)
      .add("changed_fraction", DataTypes.DoubleType)
      .add("sign_conflict_rate", DataTypes.DoubleType)
      .add("cosine_to_inputs", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("input_l2", DataTypes.createArrayType(DataTypes.DoubleType));

  private StatsTable() {}

  static void write(JavaSparkContext jsc, String root, GridCandidate candidate,
      List<TensorStats> stats) {
    write(jsc, root + "/" + DIR + "/candidate=" + candidate.id(), candidate.spec(), stats);
  }

  /**
   * A single merge's table, directly under {@code OUTPUT/stats/} (the report's per-layer charts
   * read it). Nothing is written when no shard was written in this run (an output kept by
   * --resume keeps the table it has).
   */
  public static void writeForModel(JavaSparkContext jsc, String output, JobSpec spec,
      List<TensorStats> stats) {
    if (!stats.isEmpty()) {
      write(jsc, output + "/" + DIR, spec, stats);
    }
  }

  private static void write(JavaSparkContext jsc, String dir, JobSpec spec,
      List<TensorStats> stats) {
    List<Row> rows = new ArrayList<>();
    for (TensorStats s : stats) {
      List<Double> cos = new ArrayList<>();
      List<Double> norms = new ArrayList<>();
      for (int i = 0; i < s.models(); i++) {
        cos.add(s.cosine(i));
        norms.add(s.inputL2(i));
      }
      rows.add(RowFactory.create(spec.configHash(), spec.mergeMethod(),
          s.tensor(), s.numel(), s.deltaL2(), s.changedFraction(), s.signConflictRate(),
          scala.jdk.javaapi.CollectionConverters.asScala(cos).toSeq(),
          scala.jdk.javaapi.CollectionConverters.asScala(norms).toSeq()));
    }
    ParquetTables.write(jsc, rows, SCHEMA, dir);
  }
}
