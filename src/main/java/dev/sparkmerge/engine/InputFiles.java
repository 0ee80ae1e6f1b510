package dev.sparkmerge.engine;

import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsException;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorInfo;
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
   * Reads elements [start, start + count) of the input in its used (possibly cropped) shape,
   * decoded to float32, into {@code dst[0..count)}.
   */
  void readFloats(InputRef in, long start, int count, float[] dst) {
    SafetensorsFile f = file(in);
    LoraDelta lora = in.lora() == null ? null : loraDelta(in.lora());
    if (!in.isCropped()) {
      scratch = f.readFloats(in.stored(), start, dst, 0, count, scratch);
      if (lora != null) {
        lora.addTo(start, count, dst, 0);
      }
      if (in.loraBias() != null) {
        biasDelta(in.loraBias()).addTo(start, count, dst);
      }
      return;
    }
    // A cropped embedding: row r of the used [rows, cols] view is the first cols elements of
    // stored row r, so each row segment is one positioned read.
    long cols = in.usedShape()[1];
    long storedCols = in.stored().dim(1);
    int done = 0;
    while (done < count) {
      long pos = start + done;
      long row = pos / cols;
      long col = pos % cols;
      int n = (int) Math.min(count - done, cols - col);
      scratch = f.readFloats(in.stored(), row * storedCols + col, dst, done, n, scratch);
      if (lora != null) {
        lora.addTo(row * storedCols + col, n, dst, done);
      }
      done += n;
    }
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
  }
}
