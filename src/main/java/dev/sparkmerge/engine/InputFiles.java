package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsException;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.lora.DoraMerge;
import dev.sparkmerge.lora.DoraNorms;
import dev.sparkmerge.lora.LoraBiasDelta;
import dev.sparkmerge.lora.LoraBiasTarget;
import dev.sparkmerge.lora.LoraDelta;
import dev.sparkmerge.lora.LoraTarget;
import dev.sparkmerge.plan.InputRef;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The input files one task reads, each opened once and kept open for the task's life, and chunk
 * reads of planned inputs decoded to float32, with any LoRA update of the input added. A file whose header no longer matches the plan (it
 * was replaced after planning) is an error rather than a silent misread.
 */
final class InputFiles implements Closeable {
  private final CheckpointFs fs;
  private final Map<String, SafetensorsFile> open = new HashMap<>();
  private final Map<String, LoraDelta> loraDeltas = new HashMap<>();
  private final Map<String, LoraBiasDelta> biasDeltas = new HashMap<>();
  private final Map<String, DoraMerge> doras = new HashMap<>();
  private final Map<String, float[]> doraFactors = new HashMap<>();
  private ByteBuffer scratch;

  InputFiles(CheckpointFs fs) {
    this.fs = fs;
  }

  private SafetensorsFile file(InputRef in) {
    SafetensorsFile f = open.get(in.file());
    if (f == null) {
      f = SafetensorsFile.open(fs, new Path(in.file()));
      open.put(in.file(), f);
    }
    TensorInfo now = f.header().tensors().get(in.stored().name());
    if (now == null || now.begin() != in.stored().begin() || now.end() != in.stored().end()
        || f.header().dataStart() != in.dataStart()) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, in.file(),
          in.stored().name(), "the file changed after the merge was planned; run the merge"
              + " again.");
    }
    return f;
  }

  /**
   * Reads elements [start, start + count) of the input's stored values in its used (possibly
   * cropped) shape, decoded to float32, into {@code dst[0..count)} — without any LoRA update
   * ({@link #addUpdate} adds it).
   */
  void readStored(InputRef in, long start, int count, float[] dst) {
    SafetensorsFile f = file(in);
    forEachSegment(in, start, count, (storedStart, off, n) ->
        scratch = f.readFloats(in.stored(), storedStart, dst, off, n, scratch));
  }

  /** Adds the input's LoRA update (if any) to values laid out as {@link #readStored} does. */
  void addUpdate(InputRef in, long start, int count, float[] dst) {
    if (in.lora() != null && in.lora().dora()) {
      applyDora(in, start, count, dst);
    } else if (in.lora() != null) {
      LoraDelta lora = loraDelta(in.lora());
      forEachSegment(in, start, count, (storedStart, off, n) ->
          lora.addTo(storedStart, n, dst, off));
    }
    if (in.loraBias() != null) {
      biasDelta(in.loraBias()).addTo(start, count, dst);
    }
  }

  /** A run of elements contiguous in the stored tensor: where it starts there and in dst. */
  private interface Segment {
    void accept(long storedStart, int dstOffset, int length);
  }

  /**
   * Splits [start, start + count) of the used shape into runs contiguous in storage: one run for
   * an uncropped input; for a cropped embedding (the top-left [rows, cols] of a wider matrix),
   * one run per row piece.
   */
  private static void forEachSegment(InputRef in, long start, int count, Segment segment) {
    if (!in.isCropped()) {
      segment.accept(start, 0, count);
      return;
    }
    long cols = in.usedShape()[1];
    long storedCols = in.stored().dim(1);
    int done = 0;
    while (done < count) {
      long pos = start + done;
      long row = pos / cols;
      long col = pos % cols;
      int n = (int) Math.min(count - done, cols - col);
      segment.accept(row * storedCols + col, done, n);
      done += n;
    }
  }

  /**
   * DoRA (reference/peft-lora.md §3.4): W' = (m / ‖W + ΔW‖ per output feature) · (W + ΔW). The
   * norms need the whole tensor, so the first chunk of a DoRA input streams the stored tensor once
   * (bounded chunks) to compute the factors, which later chunks reuse.
   */
  private void applyDora(InputRef in, long start, int count, float[] dst) {
    if (in.isCropped()) {
      throw new SafetensorsException(SafetensorsException.Kind.READ_FAILED, in.file(),
          in.stored().name(), "a DoRA update on a cropped embedding is not supported.");
    }
    String key = in.lora().adapterFile() + "#" + in.lora().modulePath();
    DoraMerge dora = doras.computeIfAbsent(key, k -> DoraMerge.load(in.lora(), fs));
    float[] factors = doraFactors.computeIfAbsent(key, k -> {
      DoraNorms norms = dora.newNorms();
      long numel = in.stored().numel();
      float[] buf = new float[(int) Math.min(numel, 1 << 20)];
      for (long s = 0; s < numel; s += buf.length) {
        int n = (int) Math.min(buf.length, numel - s);
        readStored(in, s, n, buf);
        dora.accumulate(s, n, buf, norms);
      }
      return dora.factors(norms);
    });
    dora.merge(start, count, dst, factors);
  }

  /** The task's ΔW generator for a LoRA module: factors loaded once, then reused per chunk. */
  private LoraDelta loraDelta(LoraTarget t) {
    return loraDeltas.computeIfAbsent(t.adapterFile() + "#" + t.modulePath(),
        k -> LoraDelta.load(t, fs));
  }

  private LoraBiasDelta biasDelta(LoraBiasTarget t) {
    return biasDeltas.computeIfAbsent(t.adapterFile() + "#" + t.modulePath(),
        k -> LoraBiasDelta.load(t, fs));
  }

  /**
   * Drops the LoRA factors and DoRA norms loaded so far. Called when a task moves to the next
   * tensor: they belong to one tensor each, and kept for a whole task they would grow with the
   * number of adapters times the tensors the task visits.
   */
  void forgetUpdates() {
    loraDeltas.clear();
    biasDeltas.clear();
    doras.clear();
    doraFactors.clear();
  }

  /** Reads raw stored bytes of a tensor (for tensors copied unchanged). */
  void readBytes(InputRef in, long byteOffset, ByteBuffer dst) {
    file(in).readBytes(in.stored(), byteOffset, dst);
  }

  @Override
  public void close() {
    for (SafetensorsFile f : open.values()) {
      f.close();
    }
    open.clear();
    loraDeltas.clear();
    biasDeltas.clear();
    doras.clear();
    doraFactors.clear();
  }
}
