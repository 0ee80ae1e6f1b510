package dev.sparkmerge.cli;

import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorInfo;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Compares two same-shaped tensors chunk by chunk: max and mean absolute difference and cosine
 * similarity, accumulated in float64 so a billion-element tensor does not lose the small
 * differences being looked for, plus whether the stored bytes are identical. Memory is two chunks
 * of {@link #CHUNK} elements (decoded floats and raw bytes) whatever the tensor size.
 */
final class DiffStats {
  /** Elements per read: 1 Mi, i.e. 4 MiB of float32 per side. */
  static final int CHUNK = 1 << 20;

  final long elements;
  double maxAbs;
  double sumAbs;
  double dot;
  double normA;
  double normB;
  boolean bytesIdentical;

  private DiffStats(long elements) {
    this.elements = elements;
  }

  /** Mean absolute difference (0 for an empty tensor). */
  double meanAbs() {
    return elements == 0 ? 0 : sumAbs / elements;
  }

  /**
   * Cosine similarity; 1 when both tensors are all zeros (they are equal), NaN when only one is
   * (the angle is undefined).
   */
  double cosine() {
    if (normA == 0 && normB == 0) {
      return 1;
    }
    return dot / (Math.sqrt(normA) * Math.sqrt(normB));
  }

  /** Floating-point tensors of equal element count (dtypes may differ). */
  static DiffStats compare(SafetensorsFile fa, TensorInfo a, SafetensorsFile fb, TensorInfo b) {
    DiffStats s = new DiffStats(a.numel());
    boolean sameDtype = a.dtype() == b.dtype();
    s.bytesIdentical = sameDtype;
    int chunk = (int) Math.min(CHUNK, Math.max(1, s.elements));
    float[] va = new float[chunk];
    float[] vb = new float[chunk];
    ByteBuffer sa = null;
    ByteBuffer sb = null;
    for (long start = 0; start < s.elements; start += chunk) {
      int n = (int) Math.min(chunk, s.elements - start);
      // readFloats hands back its scratch buffer holding the raw bytes it decoded.
      sa = fa.readFloats(a, start, va, 0, n, sa);
      sb = fb.readFloats(b, start, vb, 0, n, sb);
      if (s.bytesIdentical) {
        int bytes = n * a.dtype().byteSize();
        s.bytesIdentical = Arrays.equals(sa.array(), sa.arrayOffset(), sa.arrayOffset() + bytes,
            sb.array(), sb.arrayOffset(), sb.arrayOffset() + bytes);
      }
      s.accumulate(va, vb, n);
    }
    return s;
  }

  private void accumulate(float[] va, float[] vb, int n) {
    for (int i = 0; i < n; i++) {
      double x = va[i];
      double y = vb[i];
      double d;
      if (x == y || (Double.isNaN(x) && Double.isNaN(y))) {
        d = 0; // equal infinities or NaNs in the same place are not a difference
      } else {
        d = Math.abs(x - y);
        if (Double.isNaN(d)) {
          d = Double.POSITIVE_INFINITY; // a NaN on one side only: as different as it gets
        }
      }
      if (d > maxAbs) {
        maxAbs = d;
      }
      sumAbs += d;
      dot += x * y;
      normA += x * x;
      normB += y * y;
    }
  }

  /**
   * Byte-for-byte comparison for tensors whose dtype cannot be decoded as floating point
   * (integers, bool): returns whether they are identical.
   */
  static boolean sameBytes(SafetensorsFile fa, TensorInfo a, SafetensorsFile fb, TensorInfo b) {
    if (a.byteLength() != b.byteLength()) {
      return false;
    }
    int chunk = (int) Math.min(4L * CHUNK, Math.max(1, a.byteLength()));
    ByteBuffer ba = ByteBuffer.allocate(chunk);
    ByteBuffer bb = ByteBuffer.allocate(chunk);
    for (long off = 0; off < a.byteLength(); off += chunk) {
      int n = (int) Math.min(chunk, a.byteLength() - off);
      ba.clear().limit(n);
      bb.clear().limit(n);
      fa.readBytes(a, off, ba);
      fb.readBytes(b, off, bb);
      if (!Arrays.equals(ba.array(), 0, n, bb.array(), 0, n)) {
        return false;
      }
    }
    return true;
  }
}
