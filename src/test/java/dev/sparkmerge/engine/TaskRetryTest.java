package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.testutil.FailOnceFileSystem;
import dev.sparkmerge.testutil.TestSpark;
import dev.sparkmerge.testutil.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write task that fails mid-shard (an input read throws) is retried by Spark, and the output is
 * byte-identical to a clean run, with no temporary files left behind.
 */
class TaskRetryTest {
  @TempDir Path tmp;

  @Test
  void failedTaskIsRetriedAndOutputIsIdentical() throws Exception {
    TestSpark.context().hadoopConfiguration()
        .set("fs." + FailOnceFileSystem.SCHEME + ".impl", FailOnceFileSystem.class.getName());
    TestSpark.context().hadoopConfiguration()
        .set("fs." + FailOnceFileSystem.SCHEME + ".impl.disable.cache", "true");
    Path base = TinyModel.write(tmp.resolve("base"), "base", DType.BF16);
    Path ft = TinyModel.write(tmp.resolve("ft"), "ft", DType.BF16);
    String scheme = FailOnceFileSystem.SCHEME + "://";
    Path cfg = tmp.resolve("c.yml");
    Files.writeString(cfg, "merge_method: ties\n"
        + "base_model: " + scheme + base + "\n"
        + "models:\n  - model: " + scheme + ft + "\n    parameters: {weight: 1, density: 0.4}\n");
    String fsConf = "spark.hadoop.fs." + FailOnceFileSystem.SCHEME + ".impl="
        + FailOnceFileSystem.class.getName();
    Path clean = tmp.resolve("clean");
    MergeRunTest.Run first = MergeRunTest.cli("run", "-q", "--conf", fsConf, cfg.toString(),
        clean.toString());
    assertEquals(0, first.code(), first.err());
    int failuresBefore = FailOnceFileSystem.failures();
    // Fail a read in the middle of the write stage (planning reads headers in this JVM too, but
    // through the driver's own file system instances, which also count: arm late enough).
    FailOnceFileSystem.arm(40);
    Path retried = tmp.resolve("retried");
    MergeRunTest.Run run = MergeRunTest.cli("run", "-q", "--conf", fsConf, cfg.toString(),
        retried.toString());
    assertEquals(0, run.code(), run.err());
    assertEquals(failuresBefore + 1, FailOnceFileSystem.failures(), "the injected failure fired");
    assertEquals(MergeRunTest.shardHashes(clean), MergeRunTest.shardHashes(retried));
    try (Stream<Path> files = Files.list(retried)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".inprogress-")),
          "no temporary files left");
    }
  }
}
