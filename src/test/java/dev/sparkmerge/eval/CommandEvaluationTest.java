package dev.sparkmerge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's evaluation command, run as real processes through bash. */
class CommandEvaluationTest {
  @TempDir Path dir;

  private Map<String, Double> run(String script, long timeout) {
    return CommandEvaluation.run(List.of("bash", "-c", script, "eval", "{model}"),
        Map.of("{model}", dir.toString()), timeout);
  }

  @Test
  void theLastLineOfStandardOutputBecomesTheScoresAndTheModelPathIsSubstituted()
      throws Exception {
    Files.writeString(dir.resolve("marker"), "x");
    Map<String, Double> scores = run("echo 'loading...'; echo '{\"not\": \"last\"}';"
        + " test -f \"$1/marker\" && echo '{\"acc\": 0.75, \"f1\": 2e-1}'; echo", 30);
    assertEquals(Map.of("acc", 0.75, "f1", 0.2), scores);
  }

  @Test
  void aNonZeroExitFailsWithTheTailOfStandardError() {
    EvalException e = assertThrows(EvalException.class,
        () -> run("echo 'CUDA out of memory' >&2; exit 3", 30));
    assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
    assertTrue(e.getMessage().endsWith("Standard error ended with:\nCUDA out of memory"),
        e.getMessage());
  }

  @Test
  void aLastLineThatIsNotAnObjectOfNumbersFails() {
    EvalException notJson = assertThrows(EvalException.class, () -> run("echo done", 30));
    assertTrue(notJson.getMessage().contains("printed 'done' last"), notJson.getMessage());
    EvalException notNumber = assertThrows(EvalException.class,
        () -> run("echo '{\"acc\": \"high\"}'", 30));
    assertTrue(notNumber.getMessage().contains("key 'acc'"), notNumber.getMessage());
    EvalException nothing = assertThrows(EvalException.class, () -> run("true", 30));
    assertTrue(nothing.getMessage().contains("printed nothing"), nothing.getMessage());
  }

  @Test
  void theTimeLimitKillsTheCommandAndItsChildren() throws Exception {
    Path pidFile = dir.resolve("child.pid");
    long start = System.nanoTime();
    EvalException e = assertThrows(EvalException.class, () -> run(
        "sleep 300 & echo $! > \"$1/child.pid\"; echo 'still working' >&2; wait", 2));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(e.getMessage().contains("did not finish within 2 s"), e.getMessage());
    assertTrue(e.getMessage().contains("still working"), e.getMessage());
    assertTrue(seconds < 60, "returned after " + seconds + " s");
    long child = Long.parseLong(Files.readString(pidFile).trim());
    for (int i = 0; i < 50 && ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false);
        i++) {
      Thread.sleep(100);
    }
    assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false),
        "the command's child process " + child + " is still running");
  }

  @Test
  void aProgramThatDoesNotExistSaysSo() {
    EvalException e = assertThrows(EvalException.class, () -> CommandEvaluation.run(
        List.of("/no/such/evaluator", "{model}"), Map.of("{model}", "m"), 10));
    assertTrue(e.getMessage().contains("cannot start '/no/such/evaluator m'"), e.getMessage());
  }
}
