package dev.sparkmerge.checkpoint;

import static dev.sparkmerge.checkpoint.StFiles.concat;
import static dev.sparkmerge.checkpoint.StFiles.le64;
import static dev.sparkmerge.checkpoint.StFiles.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkmerge.checkpoint.SafetensorsException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafetensorsLayout} and {@link SafetensorsWriter}: the golden vectors of
 * reference/safetensors.md §1.6 byte for byte, tensor order, escaping, padding, the temp-file and
 * rename protocol, and a random round trip through {@link SafetensorsFile}. Expected bytes are
 * built here independently (little-endian encoders written in this file, header text written out
 * by hand).
 */
class SafetensorsWriterTest {

  @TempDir Path dir;

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------

  private static TensorSpec spec(String name, DType dtype, long... shape) {
    return new TensorSpec(name, dtype, shape);
  }

  /** The header text right-padded with spaces to a multiple of 8 (reference §1.6 "Padding"). */
  private static byte[] padded(String json) {
    byte[] b = utf8(json);
    int n = b.length;
    while (n % 8 != 0) {
      n++;
    }
    byte[] out = Arrays.copyOf(b, n);
    Arrays.fill(out, b.length, n, (byte) ' ');
    return out;
  }

  /** A whole expected file: N (LE u64) + padded header + data. */
  private static byte[] expectedFile(String json, byte[] data) {
    byte[] h = padded(json);
    return concat(le64(h.length), h, data);
  }

  private static byte[] leFloats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putInt(Float.floatToRawIntBits(f));
    }
    return b.array();
  }

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s.replace(" ", ""));
  }

  private Path target(String name) {
    return dir.resolve(name);
  }

  /** Writes a file through the writer; {@code body} supplies every tensor's bytes. */
  private String write(Path file, SafetensorsLayout layout, Consumer<SafetensorsWriter> body) {
    try (SafetensorsWriter w =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(file), layout, false)) {
      body.accept(w);
      return w.commit();
    }
  }

  private static List<String> listing(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  // ---------------------------------------------------------------------------------------------
  // Golden vectors (§1.6)
  // ---------------------------------------------------------------------------------------------

  private void assertGolden(String fileName, List<TensorSpec> specs, Map<String, String> meta,
      Consumer<SafetensorsWriter> body, String json, int expectedN, byte[] data) throws Exception {
    SafetensorsLayout layout = SafetensorsLayout.ofExactMetadata(specs, meta);
    assertEquals(expectedN, layout.headerSize(), "N for " + json);
    Path f = target(fileName);
    String sha = write(f, layout, body);
    byte[] expected = expectedFile(json, data);
    assertEquals(8 + expectedN + data.length, expected.length, "test's own arithmetic");
    byte[] actual = Files.readAllBytes(f);
    assertArrayEquals(expected, actual, "file bytes of " + fileName);
    assertEquals(sha256(expected), sha);
  }

  @Test
  void goldenNoTensorsNoMetadata() throws Exception {
    assertGolden("empty.safetensors", List.of(), null, w -> { }, "{}", 8, new byte[0]);
    // Independently: 08 00 00 00 00 00 00 00 '{' '}' and six spaces.
    assertArrayEquals(hex("0800000000000000 7B7D202020202020"),
        Files.readAllBytes(target("empty.safetensors")));
  }

  @Test
  void goldenNoTensorsWithMetadata() throws Exception {
    assertGolden("meta.safetensors", List.of(), Map.of("framework", "pt"), w -> { },
        "{\"__metadata__\":{\"framework\":\"pt\"}}", 40, new byte[0]);
  }

  @Test
  void goldenI32Zeros() throws Exception {
    assertGolden("i32.safetensors", List.of(spec("test", DType.I32, 2, 2)), null,
        w -> w.writeBytes(ByteBuffer.wrap(new byte[16])),
        "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 64,
        new byte[16]);
  }

  @Test
  void goldenF32ZeroToFiveNeedsNoPadding() throws Exception {
    String json = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
    assertEquals(64, utf8(json).length, "this vector has no padding");
    byte[] data = hex("00000000 0000803F 00000040 00004040 00008040 0000A040");
    assertArrayEquals(leFloats(0, 1, 2, 3, 4, 5), data, "test's own encoder");
    assertGolden("f32.safetensors", List.of(spec("attn.0", DType.F32, 1, 2, 3)), null,
        w -> w.writeFloats(new float[] {0, 1, 2, 3, 4, 5}, 0, 6), json, 64, data);
  }

  @Test
  void goldenTwoTensorsI32AndF16() throws Exception {
    byte[] data = new byte[24];
    for (int i = 0; i < 24; i++) {
      data[i] = (byte) (i + 1);
    }
    assertGolden("two.safetensors",
        List.of(spec("test2", DType.F16, 2, 2), spec("test1", DType.I32, 2, 2)), null,
        w -> {
          w.writeBytes(ByteBuffer.wrap(data, 0, 16)); // test1 (I32, first in data order)
          w.writeBytes(ByteBuffer.wrap(data, 16, 8)); // test2 (F16)
        },
        "{\"test1\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"test2\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[16,24]}}",
        128, data);
  }

  @Test
  void goldenBf16() throws Exception {
    assertGolden("bf16.safetensors", List.of(spec("test", DType.BF16, 2, 2)), null,
        w -> w.writeFloats(new float[] {2.25f, 1f, 1f, 1f}, 0, 4),
        "{\"test\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", 64,
        hex("10 40 80 3F 80 3F 80 3F"));
  }

  @Test
  void goldenF4() throws Exception {
    String json = "{\"attn.0\":{\"dtype\":\"F4\",\"shape\":[1,2],\"data_offsets\":[0,1]}}";
    assertEquals(60, utf8(json).length);
    assertGolden("f4.safetensors", List.of(spec("attn.0", DType.F4, 1, 2)), null,
        w -> w.writeBytes(ByteBuffer.wrap(new byte[] {0})), json, 64, new byte[] {0});
  }

  // ---------------------------------------------------------------------------------------------
  // Layout: order, escaping, metadata, padding, writer-side checks
  // ---------------------------------------------------------------------------------------------

  private static List<String> names(SafetensorsLayout l) {
    return l.tensors().stream().map(TensorInfo::name).collect(Collectors.toList());
  }

  @Test
  void orderIsDescendingDtypeRankThenNameBytesAsObserved() {
    List<TensorSpec> specs = new ArrayList<>(List.of(
        spec("a_bool", DType.BOOL, 3), spec("a_f16", DType.F16, 1), spec("b_u8", DType.U8, 1),
        spec("c_f32", DType.F32, 1), spec("Z_bool", DType.BOOL, 1), spec("d_i64", DType.I64, 1),
        spec("a_u8", DType.U8, 2), spec("e_c64", DType.C64, 1), spec("B_bool", DType.BOOL, 1),
        spec("b_bf16", DType.BF16, 1), spec("f_f64", DType.F64, 1)));
    java.util.Collections.shuffle(specs, new Random(7));
    SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(specs, null);
    // §1.6 observed: d_i64, f_f64, e_c64, c_f32, b_bf16, a_f16, ...U8s..., B_bool, Z_bool, a_bool
    assertEquals(List.of("d_i64", "f_f64", "e_c64", "c_f32", "b_bf16", "a_f16", "a_u8", "b_u8",
        "B_bool", "Z_bool", "a_bool"), names(l));
    // Offsets follow: 8+8+8+4+2+2+2+1+1+1+3 bytes, no gaps.
    long[] ends = {8, 16, 24, 28, 30, 32, 34, 35, 36, 37, 40};
    long begin = 0;
    for (int i = 0; i < ends.length; i++) {
      assertEquals(begin, l.tensors().get(i).begin(), names(l).get(i));
      assertEquals(ends[i], l.tensors().get(i).end(), names(l).get(i));
      begin = ends[i];
    }
  }

  @Test
  void everyDtypeIsOrderedByTheReferenceEnumDescending() {
    // §1.6: U64, I64, F64, C64, F32, U32, I32, BF16, F16, U16, I16, F8_E5M2FNUZ, F8_E4M3FNUZ,
    // F8_E8M0, F8_E4M3, F8_E5M2, I8, U8, F6_E3M2, F6_E2M3, F4, BOOL.
    List<String> expected = List.of("U64", "I64", "F64", "C64", "F32", "U32", "I32", "BF16",
        "F16", "U16", "I16", "F8_E5M2FNUZ", "F8_E4M3FNUZ", "F8_E8M0", "F8_E4M3", "F8_E5M2", "I8",
        "U8", "F6_E3M2", "F6_E2M3", "F4", "BOOL");
    List<TensorSpec> specs = new ArrayList<>();
    for (DType d : DType.values()) {
      // Names sorted opposite to the dtype order, so the name tie-break cannot produce it.
      specs.add(spec(String.format("%02d", d.writerRank()), d, 4));
    }
    SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(specs, null);
    assertEquals(expected,
        l.tensors().stream().map(t -> t.dtype().code()).collect(Collectors.toList()));
  }

  @Test
  void namesTieBreakOnUtf8BytesNotUtf16() {
    String fullwidthA = "\uFF21"; // UTF-8 EF BC A1
    String emoji = new String(Character.toChars(0x1F600)); // UTF-8 F0 9F 98 80, UTF-16 D83D..
    List<TensorSpec> specs = List.of(spec(emoji, DType.U8, 1), spec("\u00e9", DType.U8, 1),
        spec(fullwidthA, DType.U8, 1), spec("a", DType.U8, 1), spec("Z", DType.U8, 1),
        spec("", DType.U8, 1));
    SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(specs, null);
    // Bytes: "" < 5A < 61 < C3 A9 < EF BC A1 < F0 9F 98 80 (a UTF-16 comparison would put the
    // emoji, D83D, before U+FF21).
    assertEquals(List.of("", "Z", "a", "\u00e9", fullwidthA, emoji), names(l));
  }

  @Test
  void namesAndMetadataAreEscapedLikeSerdeJson() throws Exception {
    String name = "a\"b\\c\n" + (char) 0x1f + "\b\f\r\t/" + (char) 0x7f + "\u00e9\u2028"
        + (char) 0x0b + (char) 0 + (char) 0x1b;
    // Expected text written out by hand: short escapes, lowercase backslash-u00xx for other controls,
    // '/', DEL and non-ASCII raw.
    String escaped = "a\\\"b\\\\c\\n\\u001f\\b\\f\\r\\t/" + (char) 0x7f + "\u00e9\u2028"
        + "\\u000b\\u0000\\u001b";
    String json = "{\"__metadata__\":{\"k\\\"\":\"v\\\\\\n\"},"
        + "\"" + escaped + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
    SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(List.of(spec(name, DType.U8, 1)),
        Map.of("k\"", "v\\\n"));
    assertArrayEquals(padded(json), l.headerBytes());
    Path f = target("esc.safetensors");
    write(f, l, w -> w.writeBytes(ByteBuffer.wrap(new byte[] {42})));
    assertArrayEquals(expectedFile(json, new byte[] {42}), Files.readAllBytes(f));
    // And it reads back to the same name and metadata.
    try (SafetensorsFile sf = StFiles.open(f)) {
      assertEquals(List.of(name), new ArrayList<>(sf.header().tensors().keySet()));
      assertEquals(Map.of("k\"", "v\\\n"), sf.header().metadata());
    }
  }

  @Test
  void ofAddsFormatPtAndSortsMetadataKeys() {
    List<TensorSpec> w = List.of(spec("w", DType.F32, 2, 3));
    String tensor = "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
    // The example header of §1.6.
    assertArrayEquals(padded("{\"__metadata__\":{\"format\":\"pt\"}," + tensor + "}"),
        SafetensorsLayout.of(w, Map.of()).headerBytes());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("z", "1");
    meta.put("a", "2");
    assertArrayEquals(
        padded("{\"__metadata__\":{\"a\":\"2\",\"format\":\"pt\",\"z\":\"1\"}," + tensor + "}"),
        SafetensorsLayout.of(w, meta).headerBytes());
    // A given format is kept.
    assertArrayEquals(padded("{\"__metadata__\":{\"format\":\"np\"}," + tensor + "}"),
        SafetensorsLayout.of(w, Map.of("format", "np")).headerBytes());
    // ofExactMetadata: no format added; keys sorted; an empty map is written as {}.
    assertArrayEquals(padded("{\"__metadata__\":{\"a\":\"2\",\"z\":\"1\"}," + tensor + "}"),
        SafetensorsLayout.ofExactMetadata(w, meta).headerBytes());
    assertArrayEquals(padded("{\"__metadata__\":{}," + tensor + "}"),
        SafetensorsLayout.ofExactMetadata(w, Map.of()).headerBytes());
    assertArrayEquals(padded("{" + tensor + "}"),
        SafetensorsLayout.ofExactMetadata(w, null).headerBytes());
  }

  @Test
  void headerIsPaddedWithZeroToSevenSpacesToAMultipleOfEight() {
    for (int len = 1; len <= 24; len++) {
      String name = "n".repeat(len);
      String json = "{\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
      int raw = utf8(json).length;
      int expectedN = (raw + 7) / 8 * 8;
      SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(List.of(spec(name, DType.U8, 1)),
          null);
      byte[] h = l.headerBytes();
      assertEquals(expectedN, h.length, "name length " + len);
      assertEquals(expectedN, l.headerSize());
      assertEquals(0, h.length % 8);
      assertTrue(h.length - raw <= 7);
      assertArrayEquals(utf8(json), Arrays.copyOf(h, raw));
      for (int i = raw; i < h.length; i++) {
        assertEquals(' ', h[i], "padding byte " + i);
      }
      assertEquals(8 + expectedN + 1, l.fileLength());
      assertEquals(1, l.dataBytes());
    }
  }

  @Test
  void writerSideChecks() {
    SafetensorsException odd = assertThrows(SafetensorsException.class,
        () -> SafetensorsLayout.ofExactMetadata(List.of(spec("f4", DType.F4, 3)), null));
    assertEquals(Kind.MISALIGNED_SLICE, odd.kind());
    assertTrue(odd.getMessage().contains("f4"), odd.getMessage());
    SafetensorsException odd6 = assertThrows(SafetensorsException.class,
        () -> SafetensorsLayout.ofExactMetadata(List.of(spec("f6", DType.F6_E2M3, 2, 3)), null));
    assertEquals(Kind.MISALIGNED_SLICE, odd6.kind());
    SafetensorsException dup = assertThrows(SafetensorsException.class,
        () -> SafetensorsLayout.ofExactMetadata(
            List.of(spec("w", DType.F32, 1), spec("w", DType.F16, 1)), null));
    assertEquals(Kind.WRITE_INVALID, dup.kind());
    assertTrue(dup.getMessage().contains("w"));
    SafetensorsException big = assertThrows(SafetensorsException.class,
        () -> SafetensorsLayout.ofExactMetadata(
            List.of(spec("huge", DType.F32, 1L << 40, 1L << 40)), null));
    assertEquals(Kind.VALIDATION_OVERFLOW, big.kind());
  }

  @Test
  void headerLimitIsOneHundredMillionBytesAfterPadding() {
    // {"__metadata__":{"k":"<v>"}} is 25 bytes plus the value.
    String atLimit = "x".repeat(100_000_000 - 25);
    SafetensorsLayout ok = SafetensorsLayout.ofExactMetadata(List.of(), Map.of("k", atLimit));
    assertEquals(100_000_000L, ok.headerSize());
    ok = null;
    String over = "x".repeat(100_000_000 - 24); // 100,000,001 bytes, padded to 100,000,008
    SafetensorsException e = assertThrows(SafetensorsException.class,
        () -> SafetensorsLayout.ofExactMetadata(List.of(), Map.of("k", over)));
    assertEquals(Kind.HEADER_TOO_LARGE, e.kind());
    assertTrue(e.getMessage().contains("100000008"), e.getMessage());
    assertTrue(e.getMessage().contains("100000000"), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Round trip
  // ---------------------------------------------------------------------------------------------

  /** Float value of an F16 bit pattern (finite), computed from its fields. */
  private static float f16Value(int bits) {
    int sign = (bits >>> 15) & 1;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    float mag = exp == 0 ? Math.scalb((float) mant, -24) : Math.scalb((float) (1024 + mant),
        exp - 25);
    return sign == 1 ? -mag : mag;
  }

  /** Expected contents of one tensor: float values (null for raw dtypes) and its bytes. */
  private static final class Expected {
    float[] values;
    byte[] bytes;
  }

  private static Expected generate(TensorSpec s, Random rnd) {
    int numel = (int) Arrays.stream(s.shape()).reduce(1, (a, b) -> a * b);
    Expected e = new Expected();
    ByteBuffer b = ByteBuffer.allocate(numel * s.dtype().byteSize())
        .order(ByteOrder.LITTLE_ENDIAN);
    switch (s.dtype()) {
      case F32:
        e.values = new float[numel];
        for (int i = 0; i < numel; i++) {
          // Any finite float, including subnormals and negative zero.
          int bits;
          do {
            bits = rnd.nextInt();
          } while (((bits >>> 23) & 0xFF) == 0xFF);
          e.values[i] = Float.intBitsToFloat(bits);
          b.putInt(bits);
        }
        break;
      case F64:
        e.values = new float[numel];
        for (int i = 0; i < numel; i++) {
          float f = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(20) - 10));
          e.values[i] = f;
          b.putLong(Double.doubleToRawLongBits(f)); // float → double is exact
        }
        break;
      case F16:
        e.values = new float[numel];
        for (int i = 0; i < numel; i++) {
          int bits;
          do {
            bits = rnd.nextInt(1 << 16);
          } while (((bits >>> 10) & 0x1F) == 0x1F);
          e.values[i] = f16Value(bits);
          b.putShort((short) bits);
        }
        break;
      case BF16:
        e.values = new float[numel];
        for (int i = 0; i < numel; i++) {
          int bits;
          do {
            bits = rnd.nextInt(1 << 16);
          } while (((bits >>> 7) & 0xFF) == 0xFF);
          e.values[i] = Float.intBitsToFloat(bits << 16);
          b.putShort((short) bits);
        }
        break;
      default:
        rnd.nextBytes(b.array());
        break;
    }
    e.bytes = b.array();
    return e;
  }

  @Test
  void randomRoundTripInRandomChunkings() throws Exception {
    Random rnd = new Random(20260521L);
    List<TensorSpec> specs = List.of(
        spec("model.layers.0.mlp.weight", DType.F32, 37, 5),
        spec("model.layers.0.norm", DType.F16, 129),
        spec("model.embed", DType.BF16, 3, 7, 11),
        spec("lm_head.bias", DType.F64, 41),
        spec("position_ids", DType.I64, 1, 13),
        spec("mask", DType.U8, 3, 3, 3),
        spec("scale", DType.F32),
        spec("empty", DType.F16, 0, 4),
        spec("big", DType.F32, 1000),
        spec("odd_bf16", DType.BF16, 3));
    Map<String, Expected> expected = new TreeMap<>();
    for (TensorSpec s : specs) {
      expected.put(s.name(), generate(s, rnd));
    }
    SafetensorsLayout layout = SafetensorsLayout.of(specs, Map.of("producer", "test"));
    Path f = target("round.safetensors");
    String sha;
    long bytesWritten;
    try (SafetensorsWriter w =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), layout, false)) {
      for (TensorInfo t : layout.tensors()) {
        Expected e = expected.get(t.name());
        if (t.byteLength() == 0) {
          continue;
        }
        assertEquals(t.name(), w.currentTensor().name(), "writer walks the layout order");
        if (e.values != null) {
          for (int done = 0; done < e.values.length; ) {
            int n = 1 + rnd.nextInt(Math.min(e.values.length - done, 64));
            w.writeFloats(e.values, done, n);
            done += n;
          }
        } else {
          for (int done = 0; done < e.bytes.length; ) {
            int n = 1 + rnd.nextInt(Math.min(e.bytes.length - done, 10));
            w.writeBytes(ByteBuffer.wrap(e.bytes, done, n));
            done += n;
          }
        }
      }
      assertEquals(null, w.currentTensor());
      sha = w.commit();
      bytesWritten = w.bytesWritten();
    }
    byte[] file = Files.readAllBytes(f);
    assertEquals(sha256(file), sha);
    assertEquals(file.length, bytesWritten);
    assertEquals(layout.fileLength(), file.length);

    long n = StFiles.readLe64(file, 0);
    assertEquals(0, n % 8);
    try (SafetensorsFile sf = StFiles.open(f)) {
      SafetensorsHeader h = sf.header();
      assertEquals(Map.of("format", "pt", "producer", "test"), h.metadata());
      assertEquals(expected.keySet(), new java.util.TreeSet<>(h.tensors().keySet()));
      for (TensorSpec s : specs) {
        TensorInfo t = h.tensor(s.name());
        Expected e = expected.get(s.name());
        assertEquals(s.dtype(), t.dtype());
        assertArrayEquals(s.shape(), t.shape());
        // Natural alignment of every tensor's absolute file offset.
        long abs = 8 + n + t.begin();
        assertEquals(0, abs % s.dtype().byteSize(), t.name() + " at " + abs);
        // Raw bytes in the file are the independently encoded ones.
        assertArrayEquals(e.bytes, Arrays.copyOfRange(file, (int) abs,
            (int) (abs + t.byteLength())), t.name());
        // Read back in random chunks.
        if (e.values != null) {
          float[] got = new float[e.values.length];
          ByteBuffer scratch = null;
          for (int done = 0; done < got.length; ) {
            int c = 1 + rnd.nextInt(Math.min(got.length - done, 50));
            scratch = sf.readFloats(t, done, got, done, c, scratch);
            done += c;
          }
          for (int i = 0; i < got.length; i++) {
            assertEquals(Float.floatToRawIntBits(e.values[i]), Float.floatToRawIntBits(got[i]),
                t.name() + "[" + i + "]");
          }
        } else {
          byte[] got = new byte[e.bytes.length];
          for (int done = 0; done < got.length; ) {
            int c = 1 + rnd.nextInt(Math.min(got.length - done, 7));
            sf.readBytes(t, done, ByteBuffer.wrap(got, done, c));
            done += c;
          }
          assertArrayEquals(e.bytes, got, t.name());
          SafetensorsException notFloat = assertThrows(SafetensorsException.class,
              () -> sf.readFloats(t, 0, new float[1], 0, 1, null));
          assertTrue(notFloat.getMessage().contains(t.name()));
        }
      }
    }
  }

  @Test
  void writtenFilesAreNaturallyAlignedForEveryDtypeMix() throws Exception {
    Random rnd = new Random(99);
    DType[] whole = {DType.U64, DType.I64, DType.F64, DType.C64, DType.F32, DType.U32, DType.I32,
        DType.BF16, DType.F16, DType.U16, DType.I16, DType.F8_E4M3, DType.I8, DType.U8,
        DType.BOOL};
    for (int round = 0; round < 20; round++) {
      List<TensorSpec> specs = new ArrayList<>();
      int count = 1 + rnd.nextInt(8);
      for (int i = 0; i < count; i++) {
        specs.add(spec("t" + i + "_" + rnd.nextInt(1000), whole[rnd.nextInt(whole.length)],
            rnd.nextInt(5), 1 + rnd.nextInt(7)));
      }
      Map<String, String> meta = Map.of("r", "x".repeat(rnd.nextInt(9)));
      SafetensorsLayout l = SafetensorsLayout.of(specs, meta);
      Path f = target("align" + round + ".safetensors");
      write(f, l, w -> {
        while (w.currentTensor() != null) {
          w.writeBytes(ByteBuffer.wrap(new byte[(int) w.currentTensor().byteLength()]));
        }
      });
      try (SafetensorsFile sf = StFiles.open(f)) {
        long start = sf.header().dataStart();
        assertEquals(0, start % 8);
        for (TensorInfo t : sf.header().tensors().values()) {
          assertEquals(0, (start + t.begin()) % t.dtype().byteSize(), t.toString());
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Temp file, rename, abort, errors
  // ---------------------------------------------------------------------------------------------

  /** Two tensors, "alpha" F32 [4] (written 1, 2, 3, 4) and "beta" U8 [3] (written 7, 8, 9). */
  private static SafetensorsLayout smallLayout() {
    return SafetensorsLayout.ofExactMetadata(
        List.of(spec("beta", DType.U8, 3), spec("alpha", DType.F32, 4)), null);
  }

  private static final String SMALL_JSON =
      "{\"alpha\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
          + "\"beta\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}";

  private static byte[] smallExpected() {
    return expectedFile(SMALL_JSON, concat(leFloats(1, 2, 3, 4), new byte[] {7, 8, 9}));
  }

  @Test
  void commitRenamesTheHiddenTempFile() throws Exception {
    Path f = target("out.safetensors");
    SafetensorsWriter w = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(),
        false);
    try {
      List<String> during = listing(dir);
      assertEquals(1, during.size(), during.toString());
      assertTrue(during.get(0).startsWith(".out.safetensors"), during.toString());
      assertFalse(Files.exists(f), "the final name appears only on commit");
      w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
      w.writeBytes(ByteBuffer.wrap(new byte[] {7, 8, 9}));
      String sha = w.commit();
      assertEquals(List.of("out.safetensors"), listing(dir));
      assertEquals(sha256(Files.readAllBytes(f)), sha);
    } finally {
      w.close(); // after a commit: no effect
    }
    assertEquals(List.of("out.safetensors"), listing(dir));
    assertArrayEquals(smallExpected(), Files.readAllBytes(f));
  }

  @Test
  void abortAndCloseWithoutCommitLeaveNothing() throws Exception {
    Path f = target("gone.safetensors");
    SafetensorsWriter w = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(),
        false);
    w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
    w.abort();
    assertEquals(List.of(), listing(dir));
    try (SafetensorsWriter w2 =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(), false)) {
      w2.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
      w2.writeBytes(ByteBuffer.wrap(new byte[] {7, 8, 9})); // complete, but never committed
    }
    assertEquals(List.of(), listing(dir));
  }

  @Test
  void commitWithAnIncompleteTensorThrowsAndLeavesNoFile() throws Exception {
    Path f = target("partial.safetensors");
    SafetensorsWriter w = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(),
        false);
    w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
    w.writeBytes(ByteBuffer.wrap(new byte[] {7})); // 'beta' needs 3 bytes
    RuntimeException e = assertThrows(RuntimeException.class, w::commit);
    assertTrue(e.getMessage().contains("beta"), e.getMessage());
    assertTrue(e.getMessage().contains("2"), "2 bytes missing: " + e.getMessage());
    w.close();
    assertEquals(List.of(), listing(dir));

    // A tensor never started at all.
    SafetensorsWriter w2 = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f),
        smallLayout(), false);
    RuntimeException e2 = assertThrows(RuntimeException.class, w2::commit);
    assertTrue(e2.getMessage().contains("alpha"), e2.getMessage());
    assertTrue(e2.getMessage().contains("16"), "16 bytes missing: " + e2.getMessage());
    w2.close();
    assertEquals(List.of(), listing(dir));
  }

  @Test
  void writingMoreBytesThanATensorHasThrows() throws Exception {
    Path f = target("over.safetensors");
    try (SafetensorsWriter w =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(), false)) {
      // 'alpha' is F32 [4]: five floats are one too many (even though 'beta' follows).
      RuntimeException tooManyFloats = assertThrows(RuntimeException.class,
          () -> w.writeFloats(new float[] {1, 2, 3, 4, 5}, 0, 5));
      assertTrue(tooManyFloats.getMessage().contains("alpha"), tooManyFloats.getMessage());
      w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
      // 'beta' is U8 [3].
      RuntimeException tooManyBytes = assertThrows(RuntimeException.class,
          () -> w.writeBytes(ByteBuffer.wrap(new byte[4])));
      assertTrue(tooManyBytes.getMessage().contains("beta"), tooManyBytes.getMessage());
      w.writeBytes(ByteBuffer.wrap(new byte[] {7, 8, 9}));
      assertThrows(RuntimeException.class, () -> w.writeBytes(ByteBuffer.wrap(new byte[1])),
          "every tensor is complete");
      w.commit();
    }
    assertArrayEquals(smallExpected(), Files.readAllBytes(f));
  }

  @Test
  void writeFloatsRefusesIntegerDtypes() {
    Path f = target("ints.safetensors");
    try (SafetensorsWriter w = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f),
        SafetensorsLayout.ofExactMetadata(List.of(spec("ids", DType.I64, 2)), null), false)) {
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> w.writeFloats(new float[] {1, 2}, 0, 2));
      assertTrue(e.getMessage().contains("ids"), e.getMessage());
    }
  }

  /**
   * writeFloats must not spill into the next tensor. With more than one encode batch (1 MiB, i.e.
   * 262,144 F32 values) the values past the end of 'first' are written into 'second' — encoded as
   * F32 although 'second' is F16 — instead of being refused as they are for smaller counts (see
   * {@link #writingMoreBytesThanATensorHasThrows}).
   */
  @Test
  void writeFloatsLargerThanTheTensorNeverSpillsIntoTheNext() throws Exception {
    int n = 1 << 18; // 262,144 F32 = exactly one 1 MiB batch
    Path f = target("spill.safetensors");
    SafetensorsLayout l = SafetensorsLayout.ofExactMetadata(
        List.of(spec("first", DType.F32, n), spec("second", DType.F16, 16)), null);
    float[] src = new float[n + 8];
    Arrays.fill(src, 1.5f);
    try (SafetensorsWriter w =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), l, false)) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> w.writeFloats(src, 0,
          n + 8), "262,152 values for a tensor of 262,144 must be refused");
      assertTrue(e.getMessage().contains("first"), e.getMessage());
    }
  }

  @Test
  void overwriteFalseOntoAnExistingFileFailsClearly() throws Exception {
    Path f = target("exists.safetensors");
    Files.write(f, utf8("previous contents"));
    SafetensorsWriter w = SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(),
        false);
    RuntimeException e;
    try {
      w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
      w.writeBytes(ByteBuffer.wrap(new byte[] {7, 8, 9}));
      e = assertThrows(RuntimeException.class, w::commit);
    } finally {
      w.close();
    }
    assertTrue(e.getMessage().contains("exists.safetensors"), e.getMessage());
    assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("exist"),
        e.getMessage());
    assertArrayEquals(utf8("previous contents"), Files.readAllBytes(f), "existing file kept");
    assertEquals(List.of("exists.safetensors"), listing(dir), "no temp file left");
  }

  @Test
  void overwriteTrueReplacesAnExistingFile() throws Exception {
    Path f = target("replace.safetensors");
    Files.write(f, utf8("previous contents"));
    String sha;
    try (SafetensorsWriter w =
        SafetensorsWriter.create(StFiles.fs(), StFiles.hpath(f), smallLayout(), true)) {
      w.writeFloats(new float[] {1, 2, 3, 4}, 0, 4);
      w.writeBytes(ByteBuffer.wrap(new byte[] {7, 8, 9}));
      sha = w.commit();
    }
    byte[] got = Files.readAllBytes(f);
    assertArrayEquals(smallExpected(), got);
    assertEquals(sha256(got), sha);
    assertEquals(List.of("replace.safetensors"), listing(dir));
  }

  @Test
  void sha256MatchesMessageDigestForSeveralFiles() throws Exception {
    Random rnd = new Random(3);
    for (int i = 0; i < 5; i++) {
      int len = rnd.nextInt(3000);
      byte[] data = new byte[len];
      rnd.nextBytes(data);
      Path f = target("sha" + i + ".safetensors");
      String sha = write(f, SafetensorsLayout.of(List.of(spec("d", DType.U8, len)), Map.of()),
          w -> {
            if (len > 0) {
              w.writeBytes(ByteBuffer.wrap(data));
            }
          });
      byte[] bytes = Files.readAllBytes(f);
      assertNotNull(sha);
      assertEquals(64, sha.length());
      assertEquals(sha256(bytes), sha);
    }
  }
}
