package dev.sparkmerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkmerge.checkpoint.HfModel;
import dev.sparkmerge.checkpoint.NaturalOrder;
import dev.sparkmerge.checkpoint.TensorInfo;
import dev.sparkmerge.checkpoint.TensorLocation;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * Builds the {@code diff} report as a JSON tree (the {@code --json} output) and renders the same
 * tree as a text table, so both forms always say the same thing. Tensors are listed in natural
 * order, so layers appear as 0, 1, 2, …, 10 rather than 0, 1, 10, 2.
 */
final class DiffReport {
  static final String COMPARED = "compared";
  static final String ONLY_IN_A = "only_in_a";
  static final String ONLY_IN_B = "only_in_b";
  static final String SHAPE_MISMATCH = "shape_mismatch";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private DiffReport() {}

  /** Compares every tensor of the two models; the exit code is left in "exit_code". */
  static ObjectNode of(HfModel a, HfModel b, DiffFiles filesA, DiffFiles filesB,
      Double tolerance, boolean ignoreDtype) {
    ObjectNode r = JSON.objectNode();
    r.set("a", describe(a));
    r.set("b", describe(b));
    if (tolerance == null) {
      r.putNull("tolerance");
    } else {
      r.put("tolerance", tolerance);
    }
    TreeSet<String> names = new TreeSet<>(NaturalOrder.INSTANCE);
    names.addAll(a.tensors().keySet());
    names.addAll(b.tensors().keySet());
    Summary sum = new Summary();
    ArrayNode tensors = r.putArray("tensors");
    for (String name : names) {
      TensorLocation la = a.tensors().get(name);
      TensorLocation lb = b.tensors().get(name);
      ObjectNode t = tensors.addObject();
      t.put("name", name);
      if (lb == null) {
        t.put("status", ONLY_IN_A);
        putInfo(t, "a", la.info());
        sum.onlyInA++;
      } else if (la == null) {
        t.put("status", ONLY_IN_B);
        putInfo(t, "b", lb.info());
        sum.onlyInB++;
      } else if (!Arrays.equals(la.info().shape(), lb.info().shape())) {
        t.put("status", SHAPE_MISMATCH);
        putInfo(t, "a", la.info());
        putInfo(t, "b", lb.info());
        sum.shapeMismatches++;
      } else {
        compare(t, la, lb, filesA, filesB, tolerance, sum);
      }
    }
    sum.writeTo(r, tolerance, ignoreDtype);
    return r;
  }

  private static void compare(ObjectNode t, TensorLocation la, TensorLocation lb,
      DiffFiles filesA, DiffFiles filesB, Double tolerance, Summary sum) {
    TensorInfo ia = la.info();
    TensorInfo ib = lb.info();
    t.put("status", COMPARED);
    putInfo(t, "a", ia);
    putInfo(t, "b", ib);
    boolean dtypeMismatch = ia.dtype() != ib.dtype();
    t.put("dtype_mismatch", dtypeMismatch);
    sum.compared++;
    if (dtypeMismatch) {
      sum.dtypeMismatches++;
    }
    boolean exceeds;
    if (ia.dtype().isFloatingPoint() && ib.dtype().isFloatingPoint()) {
      DiffStats s = DiffStats.compare(filesA.get(la.file()), ia, filesB.get(lb.file()), ib);
      t.put("values_compared", true);
      putNumber(t, "max_abs_diff", s.maxAbs);
      putNumber(t, "mean_abs_diff", s.meanAbs());
      putNumber(t, "cosine", s.cosine());
      t.put("bytes_identical", s.bytesIdentical);
      exceeds = tolerance != null && !(s.maxAbs <= tolerance);
      if (s.maxAbs > sum.maxAbs || sum.maxAbsTensor == null) {
        sum.maxAbs = s.maxAbs;
        sum.maxAbsTensor = t.get("name").asText();
      }
      if (s.bytesIdentical) {
        sum.identical++;
      }
    } else {
      // Integer and bool tensors (position ids, masks) have no meaningful float distance.
      boolean same = !dtypeMismatch
          && DiffStats.sameBytes(filesA.get(la.file()), ia, filesB.get(lb.file()), ib);
      t.put("values_compared", false);
      t.put("bytes_identical", same);
      exceeds = tolerance != null && !same;
      if (same) {
        sum.identical++;
      }
    }
    if (tolerance != null) {
      t.put("exceeds_tolerance", exceeds);
    }
    if (exceeds) {
      sum.exceeding++;
    }
  }

  private static ObjectNode describe(HfModel m) {
    ObjectNode o = JSON.objectNode();
    o.put("path", m.root().toString());
    o.put("kind", !m.isDirectory() ? "safetensors file"
        : m.isSharded() ? "sharded model" : "model");
    o.put("shards", m.shards().size());
    o.put("tensors", m.tensors().size());
    return o;
  }

  private static void putInfo(ObjectNode t, String side, TensorInfo info) {
    t.put("dtype_" + side, info.dtype().code());
    ArrayNode shape = t.putArray("shape_" + side);
    for (long d : info.shape()) {
      shape.add(d);
    }
  }

  /** Non-finite values (a NaN cosine, an infinite difference) are written as null. */
  private static void putNumber(ObjectNode t, String key, double v) {
    if (Double.isFinite(v)) {
      t.put(key, v);
    } else {
      t.putNull(key);
    }
  }

  /** Counts over all tensors, and the exit code they imply. */
  private static final class Summary {
    long compared;
    long identical;
    long onlyInA;
    long onlyInB;
    long shapeMismatches;
    long dtypeMismatches;
    long exceeding;
    double maxAbs;
    String maxAbsTensor;

    void writeTo(ObjectNode r, Double tolerance, boolean ignoreDtype) {
      ObjectNode s = r.putObject("summary");
      s.put("compared", compared);
      s.put("bytes_identical", identical);
      s.put("only_in_a", onlyInA);
      s.put("only_in_b", onlyInB);
      s.put("shape_mismatches", shapeMismatches);
      s.put("dtype_mismatches", dtypeMismatches);
      if (maxAbsTensor != null) {
        putNumber(s, "max_abs_diff", maxAbs);
        s.put("max_abs_diff_tensor", maxAbsTensor);
      }
      if (tolerance != null) {
        s.put("exceeding_tolerance", exceeding);
      }
      boolean structureDiffers = onlyInA + onlyInB + shapeMismatches > 0
          || (!ignoreDtype && dtypeMismatches > 0);
      s.put("structure_differs", structureDiffers);
      r.put("exit_code", structureDiffers || exceeding > 0 ? 1 : 0);
    }
  }

  /** Renders a report tree as a text table and a summary. */
  static void printText(ObjectNode r, PrintWriter out) {
    out.println("A: " + side(r.get("a")));
    out.println("B: " + side(r.get("b")));
    JsonNode tensors = r.get("tensors");
    int width = "TENSOR".length();
    int typeWidth = "DTYPE".length();
    int shapeWidth = "SHAPE".length();
    for (JsonNode t : tensors) {
      width = Math.max(width, t.get("name").asText().length());
      if (t.get("status").asText().equals(COMPARED)) {
        typeWidth = Math.max(typeWidth, dtype(t).length());
        shapeWidth = Math.max(shapeWidth, shape(t.get("shape_a")).length());
      }
    }
    String row = "%-" + width + "s  %-" + typeWidth + "s  %-" + shapeWidth
        + "s  %12s  %12s  %12s  %s";
    out.println(String.format(row, "TENSOR", "DTYPE", "SHAPE", "MAX_ABS", "MEAN_ABS", "COSINE",
        "BYTES"));
    for (JsonNode t : tensors) {
      String name = t.get("name").asText();
      switch (t.get("status").asText()) {
        case ONLY_IN_A:
          out.println(String.format("%-" + width + "s  only in A (%s %s)", name,
              t.get("dtype_a").asText(), shape(t.get("shape_a"))));
          break;
        case ONLY_IN_B:
          out.println(String.format("%-" + width + "s  only in B (%s %s)", name,
              t.get("dtype_b").asText(), shape(t.get("shape_b"))));
          break;
        case SHAPE_MISMATCH:
          out.println(String.format("%-" + width + "s  SHAPE MISMATCH: A %s %s, B %s %s", name,
              t.get("dtype_a").asText(), shape(t.get("shape_a")), t.get("dtype_b").asText(),
              shape(t.get("shape_b"))));
          break;
        default:
          boolean values = t.get("values_compared").asBoolean();
          String bytes = t.get("bytes_identical").asBoolean() ? "identical" : "differ";
          if (t.path("exceeds_tolerance").asBoolean()) {
            bytes += "  EXCEEDS TOLERANCE";
          }
          out.println(String.format(row, name, dtype(t), shape(t.get("shape_a")),
              values ? number(t.get("max_abs_diff")) : "-",
              values ? number(t.get("mean_abs_diff")) : "-",
              values ? cosine(t.get("cosine")) : "-", bytes));
      }
    }
    JsonNode s = r.get("summary");
    out.println("summary: " + s.get("compared").asLong() + " tensor(s) compared, "
        + s.get("bytes_identical").asLong() + " byte-identical; " + s.get("only_in_a").asLong()
        + " only in A, " + s.get("only_in_b").asLong() + " only in B, "
        + s.get("shape_mismatches").asLong() + " shape mismatch(es), "
        + s.get("dtype_mismatches").asLong() + " dtype mismatch(es)");
    if (s.has("max_abs_diff_tensor")) {
      out.println("largest max abs difference: " + number(s.get("max_abs_diff")) + " ("
          + s.get("max_abs_diff_tensor").asText() + ")");
    }
    if (s.has("exceeding_tolerance")) {
      out.println(s.get("exceeding_tolerance").asLong() + " tensor(s) exceed the tolerance "
          + r.get("tolerance").asDouble());
    }
    if (s.get("structure_differs").asBoolean()) {
      out.println("the checkpoints differ in structure");
    }
  }

  private static String side(JsonNode m) {
    return m.get("path").asText() + "  (" + m.get("kind").asText() + ", "
        + m.get("shards").asLong() + " file(s), " + m.get("tensors").asLong() + " tensors)";
  }

  private static String dtype(JsonNode t) {
    String a = t.get("dtype_a").asText();
    String b = t.get("dtype_b").asText();
    return a.equals(b) ? a : a + "->" + b;
  }

  private static String shape(JsonNode dims) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.size(); i++) {
      sb.append(i > 0 ? ", " : "").append(dims.get(i).asLong());
    }
    return sb.append(']').toString();
  }

  private static String number(JsonNode v) {
    if (v == null || v.isNull()) {
      return "inf";
    }
    double d = v.asDouble();
    return d == 0 ? "0" : String.format("%.6g", d);
  }

  private static String cosine(JsonNode v) {
    return v == null || v.isNull() ? "undefined" : String.format("%.8f", v.asDouble());
  }
}
