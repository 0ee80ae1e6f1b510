package dev.sparkmerge.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparkmerge.method.Chunk;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** TensorStats against the definitions computed directly in the test, over several chunks. */
class TensorStatsTest {

  /** A base, three inputs (a quarter of their elements unchanged) and a merge of them. */
  private static final class Data {
    final float[] base;
    final float[][] x = new float[3][];
    final float[] merged;

    Data(int n, long seed) {
      Random r = new Random(seed);
      base = new float[n];
      merged = new float[n];
      for (int i = 0; i < 3; i++) {
        x[i] = new float[n];
      }
      for (int j = 0; j < n; j++) {
        base[j] = (float) r.nextGaussian();
        for (int i = 0; i < 3; i++) {
          x[i][j] = r.nextInt(4) == 0 ? base[j] : base[j] + (float) r.nextGaussian() * 0.1f;
        }
        merged[j] = r.nextInt(3) == 0 ? base[j] : (x[0][j] + x[1][j] + x[2][j]) / 3;
      }
    }
  }

  @Test
  void statisticsMatchTheirDefinitionsAcrossChunksAndTiles() {
    int n = 5000; // more than one tile, not a multiple of it
    Data data = new Data(n, 5);
    float[] base = data.base;
    float[][] x = data.x;
    float[] merged = data.merged;
    TensorStats stats = new TensorStats("t", 3);
    // A second candidate over the same inputs, taking the inputs' own statistics from the first.
    TensorStats sharing = new TensorStats("t", 3);
    int[] cuts = {0, 1, 2100, 4500, n};
    for (int c = 0; c + 1 < cuts.length; c++) {
      int from = cuts[c];
      int len = cuts[c + 1] - from;
      float[][] xs = new float[3][];
      for (int i = 0; i < 3; i++) {
        xs[i] = java.util.Arrays.copyOfRange(x[i], from, from + len);
      }
      float[] b = java.util.Arrays.copyOfRange(base, from, from + len);
      Chunk chunk = new Chunk(from, len, b, xs);
      float[] out = java.util.Arrays.copyOfRange(merged, from, from + len);
      stats.add(chunk, out);
      sharing.add(chunk, out, false);
    }
    sharing.copyInputStatistics(stats);
    double deltaSq = 0;
    long changed = 0;
    long conflicts = 0;
    double[] dot = new double[3];
    double[] sq = new double[3];
    for (int j = 0; j < n; j++) {
      double d = (double) merged[j] - base[j];
      deltaSq += d * d;
      changed += d != 0 ? 1 : 0;
      boolean pos = false;
      boolean neg = false;
      for (int i = 0; i < 3; i++) {
        double v = (double) x[i][j] - base[j];
        dot[i] += d * v;
        sq[i] += v * v;
        pos |= v > 0;
        neg |= v < 0;
      }
      conflicts += pos && neg ? 1 : 0;
    }
    assertEquals(n, stats.numel());
    assertEquals(Math.sqrt(deltaSq), stats.deltaL2(), 1e-9 * Math.sqrt(deltaSq));
    assertEquals((double) changed / n, stats.changedFraction(), 0);
    assertEquals((double) conflicts / n, stats.signConflictRate(), 0);
    for (int i = 0; i < 3; i++) {
      assertEquals(dot[i] / Math.sqrt(deltaSq * sq[i]), stats.cosine(i), 1e-9);
      assertEquals(stats.cosine(i), sharing.cosine(i), 0);
    }
    assertEquals(stats.signConflictRate(), sharing.signConflictRate(), 0);
    assertEquals(stats.deltaL2(), sharing.deltaL2(), 0);
  }

  @Test
  void tilesAddedAsTheKernelMergesThemGiveTheWholeChunksBits() {
    int n = 9000; // four whole 2048-tiles and a tail
    Data data = new Data(n, 9);
    float[] merged = data.merged;
    Chunk chunk = new Chunk(0, n, data.base, data.x);
    TensorStats whole = new TensorStats("t", 3);
    whole.add(chunk, merged, true);
    TensorStats byTile = new TensorStats("t", 3);
    for (int from = 0; from < n; from += 2048) {
      byTile.add(chunk, merged, from, Math.min(2048, n - from), true);
    }
    assertEquals(whole.numel(), byTile.numel());
    assertEquals(whole.deltaL2(), byTile.deltaL2(), 0);
    assertEquals(whole.changedFraction(), byTile.changedFraction(), 0);
    assertEquals(whole.signConflictRate(), byTile.signConflictRate(), 0);
    for (int i = 0; i < 3; i++) {
      assertEquals(whole.cosine(i), byTile.cosine(i), 0);
    }
  }
}
