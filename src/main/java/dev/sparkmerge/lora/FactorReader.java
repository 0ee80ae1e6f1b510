package dev.sparkmerge.lora;

import dev.sparkmerge.checkpoint.CheckpointException;
import dev.sparkmerge.checkpoint.CheckpointFs;
import dev.sparkmerge.checkpoint.SafetensorsFile;
import dev.sparkmerge.checkpoint.TensorInfo;
import org.apache.hadoop.fs.Path;

/** Reads small adapter tensors (LoRA factors, biases, magnitudes) completely as float32. */
final class FactorReader {
  private FactorReader() {}

  static SafetensorsFile open(CheckpointFs fs, String adapterFile) {
    return SafetensorsFile.open(fs, new Path(adapterFile));
  }

  /**
   * The whole tensor decoded to float32. The planned header entry must still be what the file
   * holds: an adapter replaced between planning and execution is an error, not silent garbage.
   */
  static float[] read(SafetensorsFile file, TensorInfo planned, long plannedDataStart) {
    TensorInfo now = file.header().contains(planned.name())
        ? file.header().tensor(planned.name()) : null;
    if (now == null || now.begin() != planned.begin() || now.end() != planned.end()
        || now.dtype() != planned.dtype() || file.header().dataStart() != plannedDataStart) {
      throw new CheckpointException(file.path() + ": tensor '" + planned.name() + "' is not"
          + " where the plan found it; the adapter file changed after planning. Re-run the job.");
    }
    float[] out = new float[Math.toIntExact(planned.numel())];
    file.readFloats(planned, 0, out, 0, out.length, null);
    return out;
  }
}
