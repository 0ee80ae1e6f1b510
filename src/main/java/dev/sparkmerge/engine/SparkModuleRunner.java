package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.lora.AdapterCombiner;
import dev.sparkmerge.lora.ModuleRunner;
import dev.sparkmerge.lora.ModuleWork;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Combines the modules of an adapter output in Spark tasks: a few modules per task (two tasks per
 * core of the cluster, at most one per module), each task reading every adapter header it needs
 * once. On a cluster the driver only plans and writes the adapter; the hundreds of modules of a
 * large model run on the executors.
 */
final class SparkModuleRunner implements ModuleRunner {
  private final JavaSparkContext jsc;

  SparkModuleRunner(JavaSparkContext jsc) {
    this.jsc = jsc;
  }

  @Override
  public List<AdapterCombiner.ModuleResult> run(List<ModuleWork> works,
      AdapterCombiner.Combination how, int rank) {
    if (works.isEmpty()) {
      return List.of();
    }
    Broadcast<SerializableConfiguration> conf =
        jsc.broadcast(new SerializableConfiguration(jsc.hadoopConfiguration()));
    int tasks = Math.min(works.size(), 2 * Math.max(1, jsc.defaultParallelism()));
    jsc.setJobDescription("sparkmerge: combine " + works.size() + " module(s) into one adapter");
    // parallelize keeps the order of works across and within partitions, and collect returns the
    // partitions in order, so results line up with works.
    return jsc.parallelize(works, tasks).mapPartitions(it -> {
      List<ModuleWork> mine = new ArrayList<>();
      it.forEachRemaining(mine::add);
      return AdapterCombiner.combineAll(new CheckpointFs(conf.value().value()), mine, how, rank)
          .iterator();
    }).collect();
  }
}
