package dev.sparkmerge.eval.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal, independent safetensors reader for the float64 reference (F32, F16 and BF16 to
 * double), so the reference does not see weights through the production decoders.
 */
final class SafetensorsReader64 {
  private SafetensorsReader64() {}

  static Map<String, double[]> read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) buf.getLong(0);
    JsonNode header = new ObjectMapper().readTree(new String(all, 8, n, StandardCharsets.UTF_8));
    Map<String, double[]> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = header.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      String dtype = e.getValue().get("dtype").asText();
      long begin = 8 + n + e.getValue().get("data_offsets").get(0).asLong();
      long end = 8 + n + e.getValue().get("data_offsets").get(1).asLong();
      int size = dtype.equals("F32") ? 4 : 2;
      double[] v = new double[(int) ((end - begin) / size)];
      for (int i = 0; i < v.length; i++) {
        int at = (int) begin + i * size;
        switch (dtype) {
          case "F32":
            v[i] = buf.getFloat(at);
            break;
          case "BF16":
            v[i] = Float.intBitsToFloat((buf.getShort(at) & 0xFFFF) << 16);
            break;
          case "F16":
            v[i] = half(buf.getShort(at) & 0xFFFF);
            break;
          default:
            throw new IOException(file + ": reference reader does not read " + dtype);
        }
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  /** IEEE half → double, by the definition (finite values only). */
  static double half(int bits) {
    int sign = (bits >> 15) == 0 ? 1 : -1;
    int exp = (bits >> 10) & 0x1F;
    int frac = bits & 0x3FF;
    if (exp == 0) {
      return sign * frac * Math.pow(2, -24);
    }
    return sign * (1 + frac / 1024.0) * Math.pow(2, exp - 15);
  }
}
