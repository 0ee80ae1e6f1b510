package dev.sparkmerge.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Exact sums, totals that combine in any order to the same bits, and the scores from them. */
class TaskTotalsTest {
  private static double exactSumRounded(double[] values) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    return sum.doubleValue();
  }

  private static double exactSum(double... values) {
    ExactSum s = new ExactSum();
    for (double v : values) {
      s.add(v);
    }
    return s.value();
  }

  @Test
  void exactSumIsTheCorrectlyRoundedSum() {
    assertEquals(1.0, exactSum(1e16, 1.0, -1e16));
    assertEquals(1.0, exactSum(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1));
    assertEquals(0.0, exactSum());
    assertEquals(1e-300, exactSum(1e300, 1e-300, -1e300));
    assertTrue(Double.isNaN(exactSum(1.0, Double.NaN)));
    assertEquals(Double.POSITIVE_INFINITY, exactSum(1.0, Double.POSITIVE_INFINITY));
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      double[] values = new double[1 + random.nextInt(300)];
      for (int i = 0; i < values.length; i++) {
        // Mixed signs and magnitudes, where a plain left-to-right sum loses bits.
        values[i] = (random.nextDouble() - 0.3) * Math.pow(10, random.nextInt(30) - 15);
      }
      assertEquals(exactSumRounded(values), exactSum(values), "round " + round);
    }
  }

  private static TaskTotals example(double nats, int tokens, boolean match) {
    return new TaskTotals(true, false).addExample(nats, tokens).addExactMatch(match);
  }

  @Test
  void anySlicingAndOrderGivesTheSameBits() {
    Random random = new Random(11);
    List<TaskTotals> examples = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      examples.add(example(random.nextDouble() * 30 * (1 + i % 7), 1 + random.nextInt(9),
          random.nextBoolean()));
    }
    TaskTotals inOrder = new TaskTotals(true, false);
    examples.forEach(inOrder::add);
    for (int round = 0; round < 20; round++) {
      List<TaskTotals> shuffled = new ArrayList<>(examples);
      Collections.shuffle(shuffled, random);
      // Random slices, each totalled, then the slices combined in a random order.
      List<TaskTotals> slices = new ArrayList<>();
      int i = 0;
      while (i < shuffled.size()) {
        int end = Math.min(shuffled.size(), i + 1 + random.nextInt(60));
        TaskTotals slice = new TaskTotals(true, false);
        shuffled.subList(i, end).forEach(slice::add);
        slices.add(slice);
        i = end;
      }
      Collections.shuffle(slices, random);
      TaskTotals combined = new TaskTotals(true, false);
      slices.forEach(combined::add);
      assertEquals(Double.doubleToLongBits(inOrder.natsTotal()),
          Double.doubleToLongBits(combined.natsTotal()));
      assertEquals(inOrder.tokens(), combined.tokens());
      assertEquals(inOrder.exactMatches(), combined.exactMatches());
      assertEquals(inOrder.score(), combined.score());
    }
  }

  @Test
  void scoresFromTotals() {
    TaskTotals t = new TaskTotals(true, false);
    t.add(example(6.0, 3, true)).add(example(2.0, 1, false));
    t.add(new TaskTotals(true, false).addExample(4.0, 4).addExactMatch(true).addTruncated());
    TaskScore s = t.score();
    assertEquals(12.0 / 8, s.loss());
    assertEquals(Math.exp(1.5), s.perplexity());
    assertEquals(8, s.tokens());
    assertEquals(3, s.examples());
    assertEquals(2.0 / 3, s.exactMatch().getAsDouble());
    assertFalse(s.accuracy().isPresent());
    assertFalse(s.accuracyNorm().isPresent());
    assertEquals(1, s.truncated());

    TaskTotals choice = TaskTotals.of(Example.Kind.CHOICE);
    choice.add(TaskTotals.of(Example.Kind.CHOICE).addExample(1.0, 2).addChoice(true, false));
    choice.add(TaskTotals.of(Example.Kind.CHOICE).addExample(1.0, 2).addChoice(false, false));
    assertEquals(0.5, choice.score().accuracy().getAsDouble());
    assertEquals(0.0, choice.score().accuracyNorm().getAsDouble());
    assertFalse(choice.score().exactMatch().isPresent());

    assertThrows(IllegalArgumentException.class, () -> choice.add(t));
    TaskTotals twice = example(1e16, 1, true).add(example(0.5, 1, false));
    twice.add(twice);
    assertEquals(2e16 + 1.0, twice.natsTotal());
    assertEquals(4, twice.tokens());
    assertThrows(IllegalStateException.class, () -> TaskTotals.of(Example.Kind.TEXT).score());
  }

  @Test
  void serializable() throws Exception {
    TaskTotals t = example(1e16, 2, true).add(example(1.0, 1, false));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    TaskTotals copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (TaskTotals) in.readObject();
    }
    copy.add(example(-1e16, 1, false));
    assertEquals(1.0, copy.natsTotal()); // the partials survived the trip
    assertEquals(4, copy.tokens());
  }
}
