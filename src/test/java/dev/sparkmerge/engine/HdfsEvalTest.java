package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.testutil.TestSpark;
import java.io.File;
import java.nio.file.Path;
import java.util.UUID;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * `sparkmerge eval` reads models, adapters, tokenizers and task files from HDFS (MiniDFSCluster)
 * and scores exactly as from local disk.
 */
class HdfsEvalTest {
  static final Path MODELS = Path.of(System.getProperty("sparkmerge.models"));
  private static MiniDFSCluster cluster;
  private static String root;

  @BeforeAll
  static void startCluster() throws Exception {
    TestSpark.context();
    File testClasses = new File(HdfsEvalTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    cluster = dev.sparkmerge.testutil.MiniDfs.start(new File(testClasses.getParentFile(),
        "minidfs-eval-" + UUID.randomUUID()), 1 << 20);
    DistributedFileSystem dfs = cluster.getFileSystem();
    root = cluster.getURI().toString();
    for (String m : new String[] {"tiny-llama-base", "tiny-llama-lora-add"}) {
      dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(MODELS.resolve(m).toUri()),
          new org.apache.hadoop.fs.Path(root + "/models/" + m));
    }
    for (String t : new String[] {"add", "text", "choice"}) {
      dfs.copyFromLocalFile(new org.apache.hadoop.fs.Path(
          MODELS.resolve("../eval/tiny-tasks/" + t + ".jsonl").toUri()),
          new org.apache.hadoop.fs.Path(root + "/tasks/" + t + ".jsonl"));
    }
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static JsonNode eval(String models, String tasks) throws Exception {
    MergeRunTest.Run run = MergeRunTest.cli("eval", "--json", "--max-examples", "12", "--tasks",
        tasks, models + "/tiny-llama-base+" + models + "/tiny-llama-lora-add");
    assertEquals(0, run.code(), run.err());
    ObjectNode model = (ObjectNode) new ObjectMapper().readTree(run.out()).get("models").get(0);
    model.remove("model");
    return model;
  }

  @Test
  void scoresFromHdfsEqualScoresFromLocalDisk() throws Exception {
    JsonNode local = eval(MODELS.toString(), MODELS.resolve("../eval/tiny-tasks").toString()
        .replace("tiny-tasks", "tiny-tasks/add.jsonl"));
    JsonNode hdfs = eval(root + "/models", root + "/tasks/add.jsonl");
    assertEquals(local, hdfs);
    assertEquals(12, hdfs.at("/tasks/add/examples").asInt());
    JsonNode folder = eval(root + "/models", root + "/tasks");
    assertEquals(3, folder.get("tasks").size(), "a folder of task files on HDFS");
    assertEquals(local.at("/tasks/add"), folder.at("/tasks/add"));
  }
}
