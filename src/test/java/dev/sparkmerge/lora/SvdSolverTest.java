package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@code solver: auto}'s choice on the shapes SvdSolverBench measured (rank-16 adapters into rank
 * 64, p = 10, q = 2; docs/lora.md has the table): exact where it was as fast or faster, randomised
 * where that measured at least twice as fast.
 */
class SvdSolverTest {
  private static boolean auto(long out, long in, int adapters) {
    return SvdSolver.AUTO.randomizes(out, in, 16L * adapters, 64, 10, 2);
  }

  @Test
  void autoKeepsTheExactRouteWhereItIsNotMuchSlower() {
    assertFalse(auto(2048, 5632, 10));  // exact 0.68 s at 16 adapters vs 2.14 s
    assertFalse(auto(2048, 5632, 32));  // 2.54 vs 2.24 s
    assertFalse(auto(2048, 2048, 24));  // 0.80 vs 0.80 s
    assertFalse(auto(256, 2048, 12));   // 0.12 vs 0.22 s
  }

  @Test
  void autoTakesTheRandomizedRouteWhereItIsAtLeastTwiceAsFast() {
    assertTrue(auto(2048, 5632, 64));   // 11.8 vs 2.51 s
    assertTrue(auto(2048, 5632, 100));  // 35.1 vs 2.90 s
    assertTrue(auto(2048, 2048, 48));   // 3.63 vs 0.84 s
    assertTrue(auto(256, 2048, 32));    // 0.66 vs 0.22 s
  }

  @Test
  void autoIsExactWhenNothingIsTruncatedOrTheSumWouldNotFitAnArray() {
    assertFalse(SvdSolver.AUTO.randomizes(2048, 2048, 1600, 1600, 10, 2));
    assertFalse(SvdSolver.AUTO.randomizes(65536, 65536, 1600, 64, 10, 2));
  }

  @Test
  void explicitSolversAreObeyed() {
    assertTrue(SvdSolver.RANDOMIZED.randomizes(8, 8, 2, 4, 10, 2));
    assertFalse(SvdSolver.EXACT.randomizes(2048, 5632, 1600, 64, 10, 2));
    assertEquals(SvdSolver.RANDOMIZED, SvdSolver.ofConfigName("randomized"));
    assertNull(SvdSolver.ofConfigName("RANDOMIZED"));
  }
}
