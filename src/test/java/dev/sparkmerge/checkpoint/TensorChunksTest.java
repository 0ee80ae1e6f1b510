package dev.sparkmerge.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link TensorChunks}: bounded, consecutive element ranges over a row-major tensor that keep whole
 * rows together when a row fits the bound and never cross a row boundary when it does not. The
 * expectations (element counts, row lengths, chunk counts) are computed here from the shape.
 */
class TensorChunksTest {

  private static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  /** Elements per row: product of all dimensions but the first; 1 for rank ≤ 1. */
  private static long rowLength(long[] shape) {
    long n = 1;
    for (int i = 1; i < shape.length; i++) {
      n *= shape[i];
    }
    return n;
  }

  private static final long[][] SHAPES =
      {{}, {0}, {5}, {3, 4}, {7, 1000}, {2, 3, 5}, {4, 0}, {0, 7}, {1, 1}, {1000}};

  static Stream<Arguments> shapesAndBounds() {
    List<Arguments> out = new ArrayList<>();
    for (long[] shape : SHAPES) {
      long row = Math.max(1, rowLength(shape));
      // 1, 2, 7, a row, a row + 1, two rows, just under three rows, and huge bounds.
      long[] bounds = {1, 2, 7, row, row + 1, 2 * row, 3 * row - 1, Integer.MAX_VALUE,
          1L << 40, Long.MAX_VALUE / 2};
      for (long b : bounds) {
        out.add(Arguments.of(Arrays.toString(shape), shape, b));
      }
    }
    return out.stream();
  }

  static Stream<Arguments> unboundedChunks() {
    List<Arguments> out = new ArrayList<>();
    for (long[] shape : SHAPES) {
      out.add(Arguments.of(Arrays.toString(shape), shape, Long.MAX_VALUE));
    }
    return out.stream();
  }

  /**
   * Long.MAX_VALUE is the natural "no limit" bound. For a rank-1 tensor of 5 elements (row length
   * 1) the chunk count is computed as (rows + rowsPerChunk - 1) / rowsPerChunk with rowsPerChunk =
   * Long.MAX_VALUE, which overflows: count() is 0 and the tensor would be skipped entirely.
   */
  @ParameterizedTest(name = "shape {0}, bound {2}")
  @MethodSource("unboundedChunks")
  void longMaxValueBoundMeansOneChunk(String label, long[] shape, long bound) {
    chunksTileTheTensorWithinTheBoundAndRespectRows(label, shape, bound);
    assertEquals(numel(shape) == 0 ? 0 : 1, new TensorChunks(shape, bound).count());
  }

  @ParameterizedTest(name = "shape {0}, bound {2}")
  @MethodSource("shapesAndBounds")
  void chunksTileTheTensorWithinTheBoundAndRespectRows(String label, long[] shape, long bound) {
    TensorChunks c = new TensorChunks(shape, bound);
    long numel = numel(shape);
    long row = rowLength(shape);
    if (numel == 0) {
      assertEquals(0, c.count(), "an empty tensor has no chunks");
      assertEquals(0, c.maxLength());
      return;
    }
    long expectedNext = 0;
    int max = 0;
    for (long i = 0; i < c.count(); i++) {
      long start = c.start(i);
      int len = c.length(i);
      assertEquals(expectedNext, start, "chunk " + i + " must start where the previous ended");
      assertTrue(len >= 1, "chunk " + i + " is empty");
      assertTrue(len <= bound, "chunk " + i + " has " + len + " > bound " + bound);
      if (row <= bound) {
        assertEquals(0, start % row, "chunk " + i + " must start on a row");
        assertEquals(0, len % row, "chunk " + i + " must hold whole rows");
      } else {
        assertEquals(start / row, (start + len - 1) / row,
            "chunk " + i + " [" + start + ", " + (start + len) + ") crosses a row boundary");
      }
      max = Math.max(max, len);
      expectedNext = start + len;
    }
    assertEquals(numel, expectedNext, "chunks must cover [0, numel) exactly");
    assertEquals(max, c.maxLength(), "maxLength is the largest chunk");

    // Fewest chunks under the rules: pack floor(bound / row) rows per chunk when a row fits,
    // otherwise ceil(row / bound) pieces per row.
    long expectedCount;
    if (row <= bound) {
      long rows = numel / row;
      long rowsPerChunk = bound / row;
      expectedCount = rows / rowsPerChunk + (rows % rowsPerChunk == 0 ? 0 : 1); // no overflow
    } else {
      expectedCount = (numel / row) * (row / bound + (row % bound == 0 ? 0 : 1));
    }
    assertEquals(expectedCount, c.count());
  }

  @Test
  void handPickedCases() {
    // [3,4] with bound 7: one 4-element row per chunk (two rows would be 8 > 7).
    TensorChunks a = new TensorChunks(new long[] {3, 4}, 7);
    assertEquals(3, a.count());
    assertEquals(List.of(0L, 4L, 8L), List.of(a.start(0), a.start(1), a.start(2)));
    assertEquals(List.of(4, 4, 4), List.of(a.length(0), a.length(1), a.length(2)));
    // [3,4] with bound 3: each row split as 3 + 1.
    TensorChunks b = new TensorChunks(new long[] {3, 4}, 3);
    assertEquals(6, b.count());
    long[] starts = new long[6];
    int[] lens = new int[6];
    for (int i = 0; i < 6; i++) {
      starts[i] = b.start(i);
      lens[i] = b.length(i);
    }
    assertEquals("[0, 3, 4, 7, 8, 11]", Arrays.toString(starts));
    assertEquals("[3, 1, 3, 1, 3, 1]", Arrays.toString(lens));
    // [2,3,5] rows of 15 with bound 40: both rows (30 elements) in one chunk.
    TensorChunks c = new TensorChunks(new long[] {2, 3, 5}, 40);
    assertEquals(1, c.count());
    assertEquals(30, c.length(0));
    // Scalar: one chunk of one element whatever the bound.
    TensorChunks s = new TensorChunks(new long[] {}, 1);
    assertEquals(1, s.count());
    assertEquals(0, s.start(0));
    assertEquals(1, s.length(0));
    // [5] (rank 1: a row is one element) with bound 2: 2 + 2 + 1.
    TensorChunks v = new TensorChunks(new long[] {5}, 2);
    assertEquals(3, v.count());
    assertEquals(List.of(2, 2, 1), List.of(v.length(0), v.length(1), v.length(2)));
    assertEquals(4, v.start(2));
  }

  @Test
  void virtualTenBillionElementTensorIsChunkedArithmetically() {
    long[] shape = {200_000, 50_000}; // 10^10 elements: never allocated
    long bound = 16L << 20; // 16,777,216
    TensorChunks c = new TensorChunks(shape, bound);
    // floor(16,777,216 / 50,000) = 335 rows per chunk = 16,750,000 elements;
    // ceil(200,000 / 335) = 598 chunks (597 full ones cover 199,995 rows; the last holds 5).
    assertEquals(598, c.count());
    assertEquals(16_750_000, c.maxLength());
    for (long i = 0; i < 597; i++) {
      assertEquals(i * 16_750_000L, c.start(i));
      assertEquals(16_750_000, c.length(i));
    }
    assertEquals(9_999_750_000L, c.start(597));
    assertEquals(250_000, c.length(597));
    assertEquals(10_000_000_000L, c.start(597) + c.length(597));
  }

  @Test
  void virtualRowsLargerThanTheBoundAreSplitWithinEachRow() {
    long[] shape = {3, 10_000_000_000L}; // 3 rows of 10^10 elements
    long bound = 16L << 20;
    TensorChunks c = new TensorChunks(shape, bound);
    // ceil(10^10 / 16,777,216) = 597 pieces per row: 596 full ones (9,999,220,736 elements) and
    // a last piece of 779,264.
    assertEquals(3 * 597, c.count());
    assertEquals(16_777_216, c.maxLength());
    long next = 0;
    for (long i = 0; i < c.count(); i++) {
      long row = i / 597;
      long piece = i % 597;
      assertEquals(next, c.start(i));
      assertEquals(row * 10_000_000_000L + piece * 16_777_216L, c.start(i));
      assertEquals(piece == 596 ? 779_264 : 16_777_216, c.length(i), "chunk " + i);
      next = c.start(i) + c.length(i);
    }
    assertEquals(30_000_000_000L, next);
  }

  @Test
  void boundBelowOneIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new TensorChunks(new long[] {3}, 0));
    assertThrows(IllegalArgumentException.class, () -> new TensorChunks(new long[] {3}, -5));
  }
}
