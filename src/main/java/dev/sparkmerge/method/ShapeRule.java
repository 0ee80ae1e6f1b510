package dev.sparkmerge.method;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * mergekit's handling of inputs whose shapes differ (reference/mergekit.md §2.6). The planner
 * applies it from headers alone and reads cropped inputs, so kernels only ever see equal shapes.
 */
public enum ShapeRule {
  /** Embeddings (2-D, is_embed): crop all to the common top-left submatrix; else mismatch fails. */
  CROP_TO_COMMON,
  /**
   * Task-vector methods: embeddings crop each model to the base's shape (a model smaller than the
   * base fails); any other mismatched model is left out of that tensor with a warning.
   */
  CROP_TO_BASE_OR_SKIP,
  /** No cropping: any mismatch fails. */
  STRICT;

  /** The outcome for one tensor: output shape and which non-base models take part. */
  public static final class Resolution {
    public final long[] shape;
    public final List<Integer> included;
    public final List<String> warnings;

    Resolution(long[] shape, List<Integer> included, List<String> warnings) {
      this.shape = shape;
      this.included = List.copyOf(included);
      this.warnings = List.copyOf(warnings);
    }
  }

  /**
   * @param base the base's shape, or null without a base
   * @param models the shapes of the non-base models that have the tensor
   */
  public Resolution resolve(String tensor, boolean isEmbed, long[] base, List<long[]> models) {
    List<long[]> all = new ArrayList<>(models);
    if (base != null) {
      all.add(base);
    }
    List<Integer> included = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    boolean same = all.stream().allMatch(s -> Arrays.equals(s, all.get(0)));
    if (all.isEmpty() || same) {
      for (int i = 0; i < models.size(); i++) {
        included.add(i);
      }
      return new Resolution(all.isEmpty() ? new long[0] : all.get(0).clone(), included, warnings);
    }
    boolean all2d = all.stream().allMatch(s -> s.length == 2);
    if (this == CROP_TO_COMMON && isEmbed && all2d) {
      long rows = Long.MAX_VALUE;
      long cols = Long.MAX_VALUE;
      for (long[] s : all) {
        rows = Math.min(rows, s[0]);
        cols = Math.min(cols, s[1]);
      }
      for (int i = 0; i < models.size(); i++) {
        included.add(i);
      }
      return new Resolution(new long[] {rows, cols}, included, warnings);
    }
    if (this == CROP_TO_BASE_OR_SKIP && base != null) {
      for (int i = 0; i < models.size(); i++) {
        long[] s = models.get(i);
        if (Arrays.equals(s, base)) {
          included.add(i);
        } else if (isEmbed && s.length == 2 && base.length == 2) {
          if (s[0] < base[0] || s[1] < base[1]) {
            throw new MergeException("tensor " + tensor + ": model " + i + " has shape "
                + Arrays.toString(s) + ", smaller than the base's " + Arrays.toString(base)
                + "; task-vector methods can only crop a larger embedding to the base's shape.");
          }
          included.add(i);
        } else {
          warnings.add("tensor " + tensor + ": model " + i + " has shape " + Arrays.toString(s)
              + " but the base has " + Arrays.toString(base) + "; leaving that model out.");
        }
      }
      return new Resolution(base.clone(), included, warnings);
    }
    StringBuilder shapes = new StringBuilder();
    for (long[] s : all) {
      shapes.append(' ').append(Arrays.toString(s));
    }
    throw new MergeException("tensor " + tensor + ": input shapes differ:" + shapes
        + ". This merge method needs equal shapes"
        + (isEmbed ? "." : " (only embeddings are cropped)."));
  }
}
