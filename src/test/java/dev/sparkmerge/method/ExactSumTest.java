package dev.sparkmerge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

  @Test
  void cancellationIsExact() {
    ExactSum s = new ExactSum();
    s.add(1e30f);
    s.add(1f);
    s.add(-1e30f);
    assertEquals(1.0, s.value());
  }

  @Test
  void productsMatchBigDecimal() {
    Random r = new Random(5);
    ExactSum s = new ExactSum();
    BigDecimal exact = BigDecimal.ZERO;
    for (int i = 0; i < 10_000; i++) {
      float a = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10));
      float b = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10));
      s.addProduct(a, b);
      exact = exact.add(new BigDecimal(a).multiply(new BigDecimal(b)));
    }
    assertEquals(exact.doubleValue(), s.value());
  }

  @Test
  void subnormalsAndSignsAreExact() {
    ExactSum s = new ExactSum();
    s.add(Float.MIN_VALUE);
    s.add(Float.MIN_VALUE);
    s.addProduct(Float.MIN_VALUE, -Float.MIN_VALUE);
    BigDecimal m = new BigDecimal(Float.MIN_VALUE);
    assertEquals(m.add(m).subtract(m.multiply(m)).doubleValue(), s.value());
  }

  @Test
  void anyOrderAndGroupingGivesTheSameBits() {
    Random r = new Random(6);
    List<Float> values = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      values.add((float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 5)));
    }
    double first = sumInGroups(values, 1);
    for (int trial = 0; trial < 5; trial++) {
      Collections.shuffle(values, r);
      assertEquals(Double.doubleToRawLongBits(first),
          Double.doubleToRawLongBits(sumInGroups(values, 1 + r.nextInt(100))));
    }
  }

  private static double sumInGroups(List<Float> values, int group) {
    ExactSum total = new ExactSum();
    for (int i = 0; i < values.size(); i += group) {
      ExactSum part = new ExactSum();
      for (int j = i; j < Math.min(values.size(), i + group); j++) {
        part.addSquare(values.get(j));
        part.add(values.get(j));
      }
      total.add(part);
    }
    return total.value();
  }

  @Test
  void roundsOnceToNearestEven() {
    // 1 + 2^-53 is exactly halfway between 1 and the next double: ties to even gives 1.
    ExactSum s = new ExactSum();
    s.add(1f);
    s.addProduct(0x1p-27f, 0x1p-26f);
    assertEquals(1.0, s.value());
    s.addProduct(0x1p-100f, 0x1p-20f); // a sticky bit above the halfway point rounds up
    assertEquals(Math.nextUp(1.0), s.value());
  }

  @Test
  void nonFiniteInputs() {
    ExactSum s = new ExactSum();
    s.add(1f);
    s.add(Float.POSITIVE_INFINITY);
    assertEquals(Double.POSITIVE_INFINITY, s.value());
    s.add(Float.NEGATIVE_INFINITY);
    assertTrue(Double.isNaN(s.value()));
    ExactSum p = new ExactSum();
    p.addProduct(Float.POSITIVE_INFINITY, 0f);
    assertTrue(Double.isNaN(p.value()));
  }

  @Test
  void addAbsEqualsAddingMagnitudesOneByOne() {
    Random r = new Random(8);
    float[] v = new float[10_001];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian() * 10));
    }
    v[17] = -Float.MIN_VALUE;
    ExactSum bulk = new ExactSum();
    bulk.addAbs(v, v.length);
    ExactSum single = new ExactSum();
    BigDecimal exact = BigDecimal.ZERO;
    for (float f : v) {
      single.add(Math.abs(f));
      exact = exact.add(new BigDecimal(Math.abs(f)));
    }
    assertEquals(exact.doubleValue(), bulk.value());
    assertEquals(single.value(), bulk.value());
    v[3] = Float.NaN;
    ExactSum withNan = new ExactSum();
    withNan.addAbs(v, v.length);
    assertTrue(Double.isNaN(withNan.value()));
  }

  @Test
  void bulkProductsMatchBigDecimal() {
    Random r = new Random(10);
    float[] a = new float[5000];
    float[] b = new float[5000];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(60) - 30));
      b[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(60) - 30));
    }
    a[7] = Float.MIN_VALUE;
    b[7] = -Float.MIN_VALUE;
    a[8] = Float.MAX_VALUE;
    b[8] = 2f;
    ExactSum bulk = new ExactSum();
    bulk.addProducts(a, b, 3, a.length);
    BigDecimal exact = BigDecimal.ZERO;
    ExactSum single = new ExactSum();
    for (int i = 3; i < a.length; i++) {
      exact = exact.add(new BigDecimal(a[i]).multiply(new BigDecimal(b[i])));
      single.addProduct(a[i], b[i]);
    }
    assertEquals(exact.doubleValue(), bulk.value());
    assertEquals(single.value(), bulk.value());
  }

  @Test
  void splitL1NormsMatchBigDecimalSums() {
    Random r = new Random(11);
    int n = 5000;
    float[] all = new float[n];
    float[] kept = new float[n];
    BigDecimal allExact = BigDecimal.ZERO;
    BigDecimal keptExact = BigDecimal.ZERO;
    for (int i = 0; i < n; i++) {
      all[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(60) - 30));
      if (i % 97 == 0) {
        all[i] = Float.MIN_VALUE * (i % 5); // subnormals and zeros
      }
      boolean keep = r.nextBoolean();
      kept[i] = keep ? all[i] : 0f;
      BigDecimal v = new BigDecimal(Math.abs((double) all[i]));
      allExact = allExact.add(v);
      keptExact = keep ? keptExact.add(v) : keptExact;
    }
    ExactSum allSum = new ExactSum();
    ExactSum keptSum = new ExactSum();
    ExactSum.addAbsSplit(all, kept, n, allSum, keptSum);
    assertEquals(allExact.doubleValue(), allSum.value());
    assertEquals(keptExact.doubleValue(), keptSum.value());

    kept[3] = Float.NaN;
    all[3] = Float.NaN;
    all[4] = Float.NEGATIVE_INFINITY;
    ExactSum allNonFinite = new ExactSum();
    ExactSum keptNonFinite = new ExactSum();
    ExactSum.addAbsSplit(all, kept, n, allNonFinite, keptNonFinite);
    assertTrue(Double.isNaN(allNonFinite.value()));
    assertTrue(Double.isNaN(keptNonFinite.value()));
  }

  /**
   * The same on the vector path: tiles whose non-zero magnitudes span at most 27 binary exponents
   * (one of subnormals and the smallest normals), zeros, and a length that leaves a scalar tail.
   */
  @Test
  void splitL1NormsMatchBigDecimalSumsOnTheVectorPath() {
    SimdTestSupport.requireVectorPath();
    Random r = new Random(12);
    int n = 3 * SimdExactSum.TILE + 13;
    float[] all = new float[n];
    float[] kept = new float[n];
    BigDecimal allExact = BigDecimal.ZERO;
    BigDecimal keptExact = BigDecimal.ZERO;
    for (int i = 0; i < n; i++) {
      int tile = i / SimdExactSum.TILE;
      if (tile == 1) { // subnormals and normals up to 2^-120
        all[i] = Float.intBitsToFloat(r.nextInt(28 << 23));
      } else {
        double sign = r.nextBoolean() ? 1 : -1;
        all[i] = (float) (sign * (1 + r.nextDouble()) * Math.pow(2, r.nextInt(20) - 12));
      }
      if (i % 31 == 0) {
        all[i] = i % 2 == 0 ? 0f : -0f;
      }
      boolean keep = r.nextBoolean();
      kept[i] = keep ? all[i] : 0f;
      BigDecimal v = new BigDecimal(Math.abs((double) all[i]));
      allExact = allExact.add(v);
      keptExact = keep ? keptExact.add(v) : keptExact;
    }
    long[] lanes = new long[256];
    assertTrue(SimdExactSum.addAbsSplit(all, kept, 0, SimdExactSum.TILE, lanes, lanes.clone()));
    assertTrue(SimdExactSum.addAbsSplit(all, kept, SimdExactSum.TILE, SimdExactSum.TILE, lanes,
        lanes.clone()));
    ExactSum allSum = new ExactSum();
    ExactSum keptSum = new ExactSum();
    ExactSum.addAbsSplit(all, kept, n, allSum, keptSum);
    assertEquals(allExact.doubleValue(), allSum.value());
    assertEquals(keptExact.doubleValue(), keptSum.value());
  }
}
