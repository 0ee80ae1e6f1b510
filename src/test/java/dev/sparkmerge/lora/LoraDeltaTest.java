package dev.sparkmerge.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparkmerge.checkpoint.DType;
import dev.sparkmerge.checkpoint.TensorInfo;
import org.junit.jupiter.api.Test;

/** LoraDelta's kernel on small in-memory factors: every rank path, orientation and scale kind. */
class LoraDeltaTest {
  static final int OUT = 5;
  static final int IN = 7;

  static LoraTarget target(int r, boolean transposed, double s) {
    return target(r, IN, OUT, transposed, s);
  }

  static LoraTarget target(int r, int in, int out, boolean transposed, double s) {
    TensorInfo a = new TensorInfo("a", DType.F32, new long[] {r, in}, 0, 4L * r * in);
    TensorInfo b = new TensorInfo("b", DType.F32, new long[] {out, r}, 0, 4L * out * r);
    long[] shape = transposed ? new long[] {in, out} : new long[] {out, in};
    return new LoraTarget("w", shape, transposed, false, s, "mem", 0, a, b, null, "m", false,
        null);
  }

  @Test
  void everyRankOrientationAndScaleAgainstFloat64AndAcrossChunkings() {
    for (int r : new int[] {1, 2, 3}) {
      for (boolean transposed : new boolean[] {false, true}) {
        for (double s : new double[] {2.0, 16 / Math.sqrt(8)}) {
          float[] a = LoraFixtures.values(r * IN, 10 + r);
          float[] b = LoraFixtures.values(OUT * r, 20 + r);
          double[][] ref = LoraFixtures.referenceDelta(widened(a), widened(b), r, IN, OUT, s,
              transposed);
          LoraDelta d = LoraDelta.of(target(r, transposed, s), a, b);
          float[] whole = new float[OUT * IN];
          d.fill(0, whole.length, whole);
          String what = "r=" + r + " transposed=" + transposed + " s=" + s;
          for (int i = 0; i < whole.length; i++) {
            double tol = (r + 2) * Math.scalb(1.0, -24) * ref[1][i];
            assertEquals(ref[0][i], whole[i], tol, what + " element " + i);
          }
          for (int chunk = 1; chunk <= 9; chunk++) {
            float[] buf = new float[chunk + 3];
            for (int start = 0; start < whole.length; start += chunk) {
              int n = Math.min(chunk, whole.length - start);
              d.fill(start, n, buf, 3); // at an offset into dst
              for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(whole[start + i]),
                    Float.floatToRawIntBits(buf[3 + i]), what + " chunk " + chunk);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void rangesOutsideTheTensorAreRejected() {
    LoraDelta d = LoraDelta.of(target(2, false, 1.0), new float[2 * IN], new float[OUT * 2]);
    assertThrows(IndexOutOfBoundsException.class, () -> d.fill(OUT * IN - 1, 2, new float[2]));
    assertThrows(IndexOutOfBoundsException.class, () -> d.fill(-1, 1, new float[1]));
    assertThrows(IndexOutOfBoundsException.class, () -> d.addTo(0, 3, new float[2]));
  }

  /**
   * Rows wide enough for the Vector API segment (several vectors and a scalar tail): the whole
   * tensor at once (vector loop) gives the bits of element-by-element fills (scalar loop), and
   * stays within the float64 bound.
   */
  @Test
  void vectorRowSegmentsGiveTheScalarBits() {
    dev.sparkmerge.method.SimdTestSupport.requireVectorPath();
    int in = 70;
    int out = 37;
    for (int r : new int[] {2, 3, 16}) {
      for (boolean transposed : new boolean[] {false, true}) {
        float[] a = LoraFixtures.values(r * in, 30 + r);
        float[] b = LoraFixtures.values(out * r, 40 + r);
        double[][] ref = LoraFixtures.referenceDelta(widened(a), widened(b), r, in, out, 2.0,
            transposed);
        LoraDelta d = LoraDelta.of(target(r, in, out, transposed, 2.0), a, b);
        float[] whole = new float[out * in];
        d.fill(0, whole.length, whole);
        float[] one = new float[1];
        for (int i = 0; i < whole.length; i++) {
          d.fill(i, 1, one);
          String what = "r=" + r + " transposed=" + transposed + " element " + i;
          assertEquals(Float.floatToRawIntBits(one[0]), Float.floatToRawIntBits(whole[i]), what);
          assertEquals(ref[0][i], whole[i], (r + 2) * Math.scalb(1.0, -24) * ref[1][i], what);
        }
      }
    }
  }

  private static double[] widened(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
