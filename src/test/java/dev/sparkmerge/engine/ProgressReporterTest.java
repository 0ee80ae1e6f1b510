package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sparkmerge.testutil.TestSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;

/**
 * The progress line counts shards: tasks that wrote output bytes. A merge with a statistics stage
 * runs other tasks on the same Spark context first, and those used to be counted as shards too
 * (a grid printed "86/24 shards").
 */
class ProgressReporterTest {

  @Test
  void countsOnlyTasksThatWroteBytes() throws Exception {
    JavaSparkContext jsc = TestSpark.context();
    LongAccumulator bytes = jsc.sc().longAccumulator("test bytes written");
    StringWriter text = new StringWriter();
    try (ProgressReporter progress = new ProgressReporter(bytes, 3, 300, new PrintWriter(text),
        20)) {
      jsc.sc().addSparkListener(progress);
      try {
        // Five tasks like the statistics stage's (no bytes written), then three writers.
        jsc.parallelize(List.of(1, 2, 3, 4, 5), 5).map(i -> i * 2).collect();
        jsc.parallelize(List.of(1, 2, 3), 3).foreach(i -> bytes.add(100));
        waitFor(text, "3/3 shards, 300 B of 300 B written");
      } finally {
        jsc.sc().removeSparkListener(progress);
      }
    }
    Matcher m = Pattern.compile("progress: (\\d+)/3 shards").matcher(text.toString());
    while (m.find()) {
      assertTrue(Integer.parseInt(m.group(1)) <= 3, text.toString());
    }
  }

  /** Listener events arrive asynchronously: wait (up to 20 s) for the line to be printed. */
  private static void waitFor(StringWriter text, String expected) throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      if (text.toString().contains(expected)) {
        return;
      }
      Thread.sleep(20);
    }
    fail("no progress line with \"" + expected + "\" in:\n" + text);
  }
}
