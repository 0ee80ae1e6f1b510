package dev.sparkmerge.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Vector API kernels agree with the scalar loops (which the forward pass runs without
 * {@code jdk.incubator.vector}) to float32 rounding, for lengths with and without tails.
 */
class KernelsTest {
  private static float[] random(int n, double scale, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return a;
  }

  private static void assertArrayClose(float[] expected, float[] actual, float relative) {
    for (int i = 0; i < expected.length; i++) {
      float tol = relative * Math.max(1f, Math.abs(expected[i]));
      assertEquals(expected[i], actual[i], tol, "element " + i);
    }
  }

  @Test
  void vectorKernelsMatchScalarLoops() {
    assumeTrue(Kernels.VECTOR, "jdk.incubator.vector not available");
    for (int n : new int[] {1, 7, 16, 33, 64, 100, 1000}) {
      float[] a = random(n, 3, n);
      float[] b = random(n, 3, n + 1);
      float s = Kernels.scalarDot(a, 0, b, 0, n);
      assertEquals(s, VectorKernels.dot(a, 0, b, 0, n), 1e-5f * Math.max(1, n));

      float[] scalar = random(n, 20, n + 2);
      float[] vector = scalar.clone();
      Kernels.scalarSoftmax(scalar, n);
      VectorKernels.softmax(vector, n);
      assertArrayClose(scalar, vector, 1e-6f);

      float[] up = random(n, 3, n + 3);
      scalar = random(n, 12, n + 4);
      vector = scalar.clone();
      Kernels.scalarSiluTimes(scalar, up, 0, n);
      VectorKernels.siluTimes(vector, up, 0, n);
      assertArrayClose(scalar, vector, 1e-6f);

      scalar = random(n, 8, n + 5);
      vector = scalar.clone();
      Kernels.scalarGeluTanh(scalar, 0, n);
      VectorKernels.geluTanh(vector, 0, n);
      assertArrayClose(scalar, vector, 1e-6f);
    }
  }

  @Test
  void vectorAttentionKernelsMatchScalarLoops() {
    assumeTrue(Kernels.VECTOR, "jdk.incubator.vector not available");
    int stride = 300;
    for (int dims : new int[] {8, 16, 64, 80, 128}) {
      for (int n : new int[] {1, 15, 16, 17, 64, 65, 200}) {
        float[] q = random(dims, 1, dims);
        float[] kt = random(dims * stride, 1, n);
        float[] scalar = new float[n];
        float[] vector = new float[n];
        Kernels.scalarScores(q, 0, kt, 7, stride, dims, 0, n, 0.125f, scalar);
        VectorKernels.scores(q, 0, kt, 7, stride, dims, n, 0.125f, vector);
        assertArrayClose(scalar, vector, 1e-5f);
        float[] p = random(n, 1, n + dims);
        float[] v = random(n * dims + 5, 1, n - dims);
        float[] outScalar = new float[dims + 3];
        float[] outVector = new float[dims + 3];
        Kernels.scalarWeightedRows(p, n, v, 5, dims, 0, outScalar, 3);
        VectorKernels.weightedRows(p, n, v, 5, dims, outVector, 3);
        assertArrayClose(outScalar, outVector, 1e-5f);
        assertEquals(0f, outVector[0]);
      }
    }
  }

  @Test
  void scalarKernelsComputeTheirFormulas() {
    float[] s = {1f, 2f, 3f};
    Kernels.scalarSoftmax(s, 3);
    double z = Math.exp(-2) + Math.exp(-1) + 1;
    assertEquals(1 / z, s[2], 1e-7);
    float[] g = {2f};
    Kernels.scalarSiluTimes(g, new float[] {3f}, 0, 1);
    assertEquals(2 / (1 + Math.exp(-2)) * 3, g[0], 1e-6);
    float[] x = {1f};
    Kernels.scalarGeluTanh(x, 0, 1);
    assertEquals(0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * 1.044715)), x[0], 1e-7);
    float[] norm = new float[2];
    Kernels.rmsNorm(new float[] {3f, 4f}, 0, new float[] {1f, 2f}, 0f, norm, 0, 2);
    assertEquals(3 / Math.sqrt(12.5), norm[0], 1e-6);
    assertEquals(8 / Math.sqrt(12.5), norm[1], 1e-6);
  }
}
