package dev.sparkmerge.eval.model;

/**
 * Where the loader gets tensors: by their Hugging Face names and stored shapes, decoded to
 * float32, with any adapter already applied. Implementations report a missing tensor or a
 * shape other than the expected one as an {@link dev.sparkmerge.eval.EvalException} naming the
 * tensor, where it was looked for and the expected shape.
 */
interface TensorSource {
  /** Names the model in messages: its directory, or "weights given in memory". */
  String describe();

  /** Whether a tensor of this name is there (stored, or supplied by an adapter). */
  boolean has(String name);

  /** Whether an adapter supplies this tensor in full (modules_to_save), replacing the base's. */
  boolean replacedByAdapter(String name);

  /**
   * The tensor's values, row-major in its stored shape, which must equal {@code shape}. The
   * array may be the caller's to keep or modify (each call returns a fresh array or one the
   * source hands over once).
   */
  float[] read(String name, long[] shape);
}
