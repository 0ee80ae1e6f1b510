package dev.sparkmerge.checkpoint;

/**
 * Splits a row-major tensor into consecutive element ranges of bounded size. Chunks hold whole rows
 * when a row fits the bound (so row-wise statistics see complete rows); a row larger than the bound
 * is split into pieces that never cross into the next row. Computed arithmetically, so a tensor of
 * any size costs no memory to chunk.
 */
public final class TensorChunks {
  private final long numel;
  private final long rowLength;
  private final long rowsPerChunk;
  private final long piecesPerRow;
  private final long pieceLength;
  private final long count;

  /**
   * @param shape the tensor's shape
   * @param maxElements the largest chunk, in elements (≥ 1)
   */
  public TensorChunks(long[] shape, long maxElements) {
    if (maxElements < 1) {
      throw new IllegalArgumentException("chunk size must be at least one element");
    }
    // Chunks are handed out as int lengths (they fill Java arrays).
    maxElements = Math.min(maxElements, Integer.MAX_VALUE - 8);
    this.numel = Shapes.numel(shape);
    this.rowLength = Math.max(1, Shapes.rowLength(shape));
    if (numel == 0) {
      rowsPerChunk = 1;
      piecesPerRow = 1;
      pieceLength = rowLength;
      count = 0;
    } else if (rowLength <= maxElements) {
      rowsPerChunk = maxElements / rowLength;
      piecesPerRow = 1;
      pieceLength = rowLength;
      long rows = numel / rowLength;
      count = rows / rowsPerChunk + (rows % rowsPerChunk == 0 ? 0 : 1);
    } else {
      rowsPerChunk = 1;
      piecesPerRow = rowLength / maxElements + (rowLength % maxElements == 0 ? 0 : 1);
      pieceLength = maxElements;
      count = (numel / rowLength) * piecesPerRow;
    }
  }

  /** Number of chunks (0 for an empty tensor). */
  public long count() {
    return count;
  }

  /** Flat index of the first element of chunk {@code i}. */
  public long start(long i) {
    if (piecesPerRow == 1) {
      return i * rowsPerChunk * rowLength;
    }
    long row = i / piecesPerRow;
    long piece = i % piecesPerRow;
    return row * rowLength + piece * pieceLength;
  }

  /** Number of elements in chunk {@code i}. */
  public int length(long i) {
    long start = start(i);
    long len;
    if (piecesPerRow == 1) {
      len = Math.min(rowsPerChunk * rowLength, numel - start);
    } else {
      long piece = i % piecesPerRow;
      len = Math.min(pieceLength, rowLength - piece * pieceLength);
    }
    return Math.toIntExact(len);
  }

  /** The largest chunk length, for sizing reusable buffers. */
  public int maxLength() {
    if (count == 0) {
      return 0;
    }
    return Math.toIntExact(Math.min(numel, piecesPerRow == 1 ? rowsPerChunk * rowLength : pieceLength));
  }
}
