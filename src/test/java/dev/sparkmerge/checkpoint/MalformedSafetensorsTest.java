package dev.sparkmerge.checkpoint;

import static dev.sparkmerge.checkpoint.StFiles.concat;
import static dev.sparkmerge.checkpoint.StFiles.file;
import static dev.sparkmerge.checkpoint.StFiles.latin1;
import static dev.sparkmerge.checkpoint.StFiles.pattern;
import static dev.sparkmerge.checkpoint.StFiles.utf8;
import static dev.sparkmerge.checkpoint.StFiles.withN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sparkmerge.checkpoint.SafetensorsException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile safetensors files (reference/safetensors.md §1.3–§1.5 and the test matrix
 * of §4.3). Each file is built byte by byte on local disk and opened through {@link
 * SafetensorsFile#open}; a rejection must be a {@link SafetensorsException} of the exact kind
 * whose message names the file, the tensor (where there is one) and the offending numbers, and
 * nothing else may escape (no OutOfMemoryError, NegativeArraySizeException, ArithmeticException,
 * IndexOutOfBoundsException...).
 *
 * <p>Where the reference reader (Rust crate) gives a verdict, the expected kind is its counterpart:
 * HeaderTooSmall → HEADER_TOO_SMALL, HeaderTooLarge → HEADER_TOO_LARGE, InvalidHeaderLength →
 * INVALID_HEADER_LENGTH, InvalidHeader → INVALID_UTF8, InvalidHeaderDeserialization → INVALID_JSON,
 * InvalidOffset → INVALID_OFFSET, ValidationOverflow → VALIDATION_OVERFLOW, MisalignedSlice →
 * MISALIGNED_SLICE, TensorInvalidInfo → TENSOR_INVALID_INFO, MetadataIncompleteBuffer →
 * INCOMPLETE_BUFFER. Where this project is deliberately stricter (rows marked † in §4.3, and the
 * brief): every duplicate key → DUPLICATE_KEY, rank over 64 → LIMIT_EXCEEDED, numbers ≥ 2^63 →
 * a clear overflow/offset error, other files saved as .safetensors → NOT_SAFETENSORS.
 */
class MalformedSafetensorsTest {

  private static final String NAME = "model-under-test.safetensors";

  /** The matrix's standard tensor: I32 [2,2] at [0,16] (16 data bytes). */
  private static final String T = entry("t", "I32", "2,2", "0", "16");

  @TempDir Path dir;

  // ---------------------------------------------------------------------------------------------
  // Row builders
  // ---------------------------------------------------------------------------------------------

  /** Replaces ' with " so JSON rows stay readable in Java source. */
  private static String j(String s) {
    return s.replace('\'', '"');
  }

  /** One tensor entry: "name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}. */
  private static String entry(String name, String dtype, String shape, String begin, String end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape
        + "],\"data_offsets\":[" + begin + "," + end + "]}";
  }

  /** A header object from entries. */
  private static String obj(String... entries) {
    return "{" + String.join(",", entries) + "}";
  }

  /** A rejected case. {@code tensor} may list alternatives separated by '|'. */
  static final class Bad {
    final byte[] bytes;
    final Kind kind;
    final String tensor;
    final String[] fragments;

    Bad(byte[] bytes, Kind kind, String tensor, String[] fragments) {
      this.bytes = bytes;
      this.kind = kind;
      this.tensor = tensor;
      this.fragments = fragments;
    }
  }

  private static Arguments bad(String label, byte[] bytes, Kind kind, String tensor,
      String... fragments) {
    return Arguments.of(Named.of(label, new Bad(bytes, kind, tensor, fragments)));
  }

  /** A rejected case whose file is header text (N = its UTF-8 length) plus pattern data. */
  private static Arguments bad(String label, String header, int dataLen, Kind kind, String tensor,
      String... fragments) {
    return bad(label, file(header, dataLen), kind, tensor, fragments);
  }

  private static long n(String header) {
    return utf8(header).length;
  }

  // ---------------------------------------------------------------------------------------------
  // Rejected files
  // ---------------------------------------------------------------------------------------------

  static Stream<Arguments> framing() {
    String t = obj(T);
    long nt = n(t);
    return Stream.of(
        bad("0 bytes", new byte[0], Kind.HEADER_TOO_SMALL, null, "0"),
        bad("7 bytes", new byte[] {8, 0, 0, 0, 0, 0, 0}, Kind.HEADER_TOO_SMALL, null, "7"),
        bad("N = 0, nothing after", withN(0, new byte[0]), Kind.INVALID_JSON, null),
        bad("N = 0, 16 bytes after", withN(0, pattern(16)), Kind.INVALID_JSON, null),
        bad("N = 1000, file holds 2 header bytes", withN(1000, utf8("{}")),
            Kind.INVALID_HEADER_LENGTH, null, "1000", "10"),
        bad("N larger than the file by one byte (truncated header)",
            withN(nt + 17, concat(utf8(t), pattern(16))), Kind.INVALID_HEADER_LENGTH, null,
            String.valueOf(nt + 17), String.valueOf(8 + nt + 16)),
        bad("header cut in the middle (N says 57, 30 present)",
            withN(nt, Arrays.copyOf(utf8(t), 30)), Kind.INVALID_HEADER_LENGTH, null,
            String.valueOf(nt), "38"),
        bad("N = 100,000,001", withN(100_000_001L, utf8("{}")), Kind.HEADER_TOO_LARGE, null,
            "100000001", "100000000"),
        bad("N = 100,000,000 on a short file", withN(100_000_000L, utf8("{}")),
            Kind.INVALID_HEADER_LENGTH, null, "100000000", "10"),
        bad("N = 2^63", withN(Long.MIN_VALUE, utf8("{}")), Kind.HEADER_TOO_LARGE, null,
            "9223372036854775808"),
        bad("N = 2^64-1", withN(-1L, utf8("{}")), Kind.HEADER_TOO_LARGE, null,
            "18446744073709551615"),
        bad("Git LFS pointer",
            latin1("version https://git-lfs.github.com/spec/v1\n"
                + "oid sha256:53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db\n"
                + "size 90868376\n"),
            Kind.NOT_SAFETENSORS, null, "Git LFS"),
        bad("HTML page saved as .safetensors",
            latin1("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
                + "<body>Not found</body></html>\n"),
            Kind.NOT_SAFETENSORS, null, "HTML"),
        bad("HTML page with a leading newline",
            latin1("\n<html><body>Sign in to continue</body></html>\n"),
            Kind.NOT_SAFETENSORS, null, "HTML"),
        bad("zip (PK\\3\\4) whose first 8 bytes read as N > 100 MB",
            concat(new byte[] {'P', 'K', 3, 4, 0x14, 0, 0, 0}, pattern(200)),
            Kind.NOT_SAFETENSORS, null, "zip"),
        bad("zip (PK\\3\\4) whose first 8 bytes read as N = 67,324,752 (< 100 MB)",
            concat(new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0}, pattern(200)),
            Kind.NOT_SAFETENSORS, null, "zip"),
        bad("pickle (0x80 protocol 2)",
            concat(new byte[] {(byte) 0x80, 2, (byte) 0x8A, 0x0A, 0x6C, (byte) 0xFC,
                (byte) 0x9C, 0x46}, pattern(100)),
            Kind.NOT_SAFETENSORS, null, "pickle"),
        bad("config.json saved as .safetensors",
            utf8("{\n  \"architectures\": [\"BertModel\"],\n  \"hidden_size\": 384\n}\n"),
            Kind.NOT_SAFETENSORS, null, "JSON"));
  }

  static Stream<Arguments> encodingAndWhitespace() {
    String t = obj(T);
    byte[] tb = utf8(t);
    String rest = "\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
    return Stream.of(
        bad("header is the single byte FF", file(new byte[] {(byte) 0xFF}, new byte[0]),
            Kind.INVALID_UTF8, null, "ff", "0"),
        bad("CESU surrogate ED A0 80 in a key",
            file(concat(utf8("{\""), new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                utf8(rest)), pattern(16)),
            Kind.INVALID_UTF8, null, "ed", "2"),
        bad("overlong C0 80 in a key",
            file(concat(utf8("{\"a"), new byte[] {(byte) 0xC0, (byte) 0x80}, utf8(rest)),
                pattern(16)),
            Kind.INVALID_UTF8, null, "c0", "3"),
        bad("overlong 3-byte E0 80 AF ('/')",
            file(concat(utf8("{\""), new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
                utf8(rest)), pattern(16)),
            Kind.INVALID_UTF8, null, "e0", "2"),
        bad("code point above U+10FFFF (F4 90 80 80)",
            file(concat(utf8("{\""), new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80,
                (byte) 0x80}, utf8(rest)), pattern(16)),
            Kind.INVALID_UTF8, null, "f4", "2"),
        bad("stray continuation byte 80",
            file(concat(utf8("{\"x"), new byte[] {(byte) 0x80}, utf8(rest)), pattern(16)),
            Kind.INVALID_UTF8, null, "80", "3"),
        bad("2-byte sequence cut by the end of the header",
            file(concat(tb, new byte[] {(byte) 0xC3}), pattern(16)),
            Kind.INVALID_UTF8, null, "c3", String.valueOf(tb.length)),
        bad("header encoded as UTF-16LE",
            file(t.getBytes(StandardCharsets.UTF_16LE), pattern(16)), Kind.INVALID_JSON, null),
        bad("UTF-8 BOM before {",
            file(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, tb), pattern(16)),
            Kind.INVALID_JSON, null),
        bad("form feed before {", "\f" + t, 16, Kind.INVALID_JSON, null),
        bad("NBSP before {", "\u00a0" + t, 16, Kind.INVALID_JSON, null),
        bad("NUL padding instead of spaces", t + "\0\0\0\0\0\0\0", 16, Kind.INVALID_JSON, null),
        bad("trailing ' x' after the object", t + " x", 16, Kind.INVALID_JSON, null),
        bad("a second object after the first", t + "{}", 16, Kind.INVALID_JSON, null),
        bad("header is only spaces", "        ", 0, Kind.INVALID_JSON, null));
  }

  static Stream<Arguments> jsonSyntax() {
    return Stream.of(
        bad("top level []", "[]", 0, Kind.INVALID_JSON, null),
        bad("top level null", "null", 0, Kind.INVALID_JSON, null),
        bad("top level string", "\"t\"", 0, Kind.INVALID_JSON, null),
        bad("a comment", "{/* weights */" + T + "}", 16, Kind.INVALID_JSON, null),
        bad("a line comment", "{" + T + "// x\n}", 16, Kind.INVALID_JSON, null),
        bad("trailing comma in the object", "{" + T + ",}", 16, Kind.INVALID_JSON, null),
        bad("trailing comma in a shape", obj(entry("t", "I32", "2,2,", "0", "16")), 16,
            Kind.INVALID_JSON, "t"),
        bad("trailing comma in an entry",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16],}}"), 16,
            Kind.INVALID_JSON, null),
        bad("single quotes", "{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16]}}", 16,
            Kind.INVALID_JSON, null),
        bad("NaN in a shape", obj(entry("t", "I32", "NaN,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t"),
        bad("Infinity as an offset", obj(entry("t", "I32", "2,2", "0", "Infinity")), 16,
            Kind.INVALID_JSON, "t"),
        bad("raw control character 0x01 in a key", obj(T.replace("\"t\"", "\"t\001\"")), 16,
            Kind.INVALID_JSON, null),
        bad("raw newline in a key", obj(T.replace("\"t\"", "\"t\n\"")), 16, Kind.INVALID_JSON,
            null),
        bad("raw TAB inside a dtype string", obj(entry("t", "I3\t2", "2,2", "0", "16")), 16,
            Kind.INVALID_JSON, null),
        bad("lone high surrogate escape \\ud800", obj(T.replace("\"t\"", "\"\\ud800\"")), 16,
            Kind.INVALID_JSON, null),
        bad("lone low surrogate escape \\udc00", obj(T.replace("\"t\"", "\"\\udc00\"")), 16,
            Kind.INVALID_JSON, null),
        bad("high surrogate followed by \\u0041", obj(T.replace("\"t\"", "\"\\ud800\\u0041\"")),
            16, Kind.INVALID_JSON, null),
        bad("invalid escape \\x", obj(T.replace("\"t\"", "\"\\x41\"")), 16, Kind.INVALID_JSON,
            null),
        bad("truncated \\u escape", "{\"\\u00", 0, Kind.INVALID_JSON, null),
        bad("unterminated string", "{\"t", 0, Kind.INVALID_JSON, null),
        bad("missing colon", j("{'t' {'dtype':'I32','shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, null),
        bad("missing closing brace", "{" + T, 16, Kind.INVALID_JSON, null),
        bad("unquoted key", "{t:{}}", 0, Kind.INVALID_JSON, null),
        bad("tensor value is an array [1,2]", j("{'t':[1,2]}"), 0, Kind.INVALID_JSON, "t"),
        bad("tensor value is a string", j("{'t':'I32'}"), 0, Kind.INVALID_JSON, "t"),
        bad("tensor value is null", j("{'t':null}"), 0, Kind.INVALID_JSON, "t"),
        bad("dtype null", j("{'t':{'dtype':null,'shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "dtype"),
        bad("dtype a number", j("{'t':{'dtype':3,'shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "dtype"),
        bad("shape null", j("{'t':{'dtype':'I32','shape':null,'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("shape a number", j("{'t':{'dtype':'I32','shape':4,'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("nested shape [[4]]", obj(entry("t", "I32", "[4]", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("shape element a string", obj(entry("t", "I32", "\"4\"", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("data_offsets null", j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':null}}"),
            16, Kind.INVALID_JSON, "t", "data_offsets"));
  }

  static Stream<Arguments> entryFields() {
    return Stream.of(
        bad("missing dtype", j("{'t':{'shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "dtype"),
        bad("missing shape", j("{'t':{'dtype':'I32','data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("missing data_offsets", j("{'t':{'dtype':'I32','shape':[2,2]}}"), 16,
            Kind.INVALID_JSON, "t", "data_offsets"),
        bad("empty entry {}", j("{'t':{}}"), 0, Kind.INVALID_JSON, "t", "dtype"),
        bad("upper-case key DTYPE", j("{'t':{'DTYPE':'I32','shape':[2,2],'data_offsets':[0,16]}}"),
            16, Kind.INVALID_JSON, "t", "dtype"),
        bad("unknown dtype F128", obj(entry("t", "F128", "2,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "F128"),
        bad("lowercase dtype i32", obj(entry("t", "i32", "2,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "i32"),
        bad("empty dtype \"\"", obj(entry("t", "", "2,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "dtype"),
        bad("negative dimension [-2,2]", obj(entry("t", "I32", "-2,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("non-integer dimension [2.0,2]", obj(entry("t", "I32", "2.0,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("exponent dimension [2e0,2]", obj(entry("t", "I32", "2e0,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("negative zero dimension [-0,2]", obj(entry("t", "I32", "-0,2", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("leading zero [04]", obj(entry("t", "I32", "04", "0", "16")), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("dimension 2^64 [18446744073709551616]",
            obj(entry("t", "I32", "18446744073709551616", "0", "16")), 16,
            Kind.VALIDATION_OVERFLOW, "t", "18446744073709551616"),
        bad("dimension 2^63 [9223372036854775808]",
            obj(entry("t", "U8", "9223372036854775808", "0", "16")), 16,
            Kind.VALIDATION_OVERFLOW, "t", "9223372036854775808"),
        bad("data_offsets with 3 elements", obj(entry("t", "I32", "2,2", "0", "16,32")), 16,
            Kind.INVALID_JSON, "t", "data_offsets", "3"),
        bad("data_offsets with 1 element",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[16]}}"), 16,
            Kind.INVALID_JSON, "t", "data_offsets", "1"),
        bad("data_offsets empty", j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[]}}"),
            16, Kind.INVALID_JSON, "t", "data_offsets", "0"),
        bad("data_offsets an object",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':{'begin':0,'end':16}}}"), 16,
            Kind.INVALID_JSON, "t", "data_offsets"),
        bad("data_offsets END 16.0", obj(entry("t", "I32", "2,2", "0", "16.0")), 16,
            Kind.INVALID_JSON, "t", "data_offsets"),
        bad("data_offsets END -16", obj(entry("t", "I32", "2,2", "0", "-16")), 16,
            Kind.INVALID_JSON, "t", "data_offsets"),
        bad("data_offsets END 2^63", obj(entry("t", "I32", "2,2", "0", "9223372036854775808")),
            16, Kind.INVALID_OFFSET, "t", "9223372036854775808"),
        bad("dtype given twice",
            j("{'t':{'dtype':'I32','dtype':'I32','shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "dtype"),
        bad("shape given twice",
            j("{'t':{'dtype':'I32','shape':[2,2],'shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "t", "shape"),
        bad("data_offsets given twice",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16],'data_offsets':[0,16]}}"),
            16, Kind.INVALID_JSON, "t", "data_offsets"),
        bad("unknown field with an invalid value",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16],'extra':01}}"), 16,
            Kind.INVALID_JSON, null),
        bad("unknown field with a bare word",
            j("{'t':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16],'extra':nope}}"), 16,
            Kind.INVALID_JSON, null));
  }

  static Stream<Arguments> duplicates() {
    return Stream.of(
        bad("the same tensor entry twice, identical", obj(T, T), 16, Kind.DUPLICATE_KEY, "t"),
        bad("same name, ranges [0,16] and [16,32]",
            obj(T, entry("t", "I32", "2,2", "16", "32")), 32, Kind.DUPLICATE_KEY, "t"),
        bad("same name, first [0,0] empty, then [0,16]",
            obj(entry("t", "U8", "0", "0", "0"), T), 16, Kind.DUPLICATE_KEY, "t"),
        bad("\"t\" and \"\\u0074\"", obj(T, entry("\\u0074", "I32", "2,2", "16", "32")), 32,
            Kind.DUPLICATE_KEY, "t"),
        bad("\"a/b\" and \"a\\/b\"",
            obj(entry("a/b", "U8", "2", "0", "2"), entry("a\\/b", "U8", "2", "2", "4")), 4,
            Kind.DUPLICATE_KEY, "a/b"),
        bad("__metadata__ twice",
            j("{'__metadata__':{'a':'1'},'__metadata__':{'b':'2'}," + T.replace('"', '\'') + "}"),
            16, Kind.DUPLICATE_KEY, "__metadata__"),
        bad("__metadata__ and its escaped spelling \\u005f_metadata__",
            j("{'__metadata__':{'a':'1'},'\\u005f_metadata__':{'b':'2'}}"), 0,
            Kind.DUPLICATE_KEY, "__metadata__"),
        bad("duplicate key inside __metadata__",
            j("{'__metadata__':{'format':'pt','format':'np'}," + T.replace('"', '\'') + "}"), 16,
            Kind.DUPLICATE_KEY, "format"));
  }

  static Stream<Arguments> metadata() {
    String t = T.replace('"', '\'');
    return Stream.of(
        bad("metadata value a number", j("{'__metadata__':{'a':1}," + t + "}"), 16,
            Kind.INVALID_JSON, "__metadata__"),
        bad("metadata value null", j("{'__metadata__':{'a':null}," + t + "}"), 16,
            Kind.INVALID_JSON, "__metadata__"),
        bad("metadata value a nested object", j("{'__metadata__':{'a':{'b':'c'}}," + t + "}"),
            16, Kind.INVALID_JSON, "__metadata__"),
        bad("metadata value an array", j("{'__metadata__':{'a':['b']}," + t + "}"), 16,
            Kind.INVALID_JSON, "__metadata__"),
        bad("metadata is an array", j("{'__metadata__':['a']," + t + "}"), 16,
            Kind.INVALID_JSON, "__metadata__"),
        bad("metadata is a string", j("{'__metadata__':'pt'," + t + "}"), 16,
            Kind.INVALID_JSON, "__metadata__"),
        bad("metadata trailing comma", j("{'__metadata__':{'a':'b',}," + t + "}"), 16,
            Kind.INVALID_JSON, null),
        bad("key __METADATA__ is a tensor without dtype",
            j("{'__METADATA__':{'format':'pt'}," + t + "}"), 16, Kind.INVALID_JSON,
            "__METADATA__", "dtype"),
        bad("__metadata__ with a tensor-shaped value",
            j("{'__metadata__':{'dtype':'I32','shape':[2,2],'data_offsets':[0,16]}}"), 16,
            Kind.INVALID_JSON, "__metadata__"));
  }

  static Stream<Arguments> offsetsAndSizes() {
    String t = obj(T);
    long nt = n(t);
    String empty = "{}";
    String past = obj(entry("a", "I32", "2,2", "0", "16"), entry("b", "I32", "2,2", "16", "32"));
    return Stream.of(
        bad("BEGIN > END [16,0]", obj(entry("t", "I32", "2,2", "16", "0")), 16,
            Kind.INVALID_OFFSET, "t", "16", "0"),
        bad("gap: a [0,8] then b [12,20]",
            obj(entry("a", "I32", "2", "0", "8"), entry("b", "I32", "2", "12", "20")), 20,
            Kind.INVALID_OFFSET, "b", "12", "20", "8"),
        bad("overlap: a [0,8] then b [4,12]",
            obj(entry("a", "I32", "2", "0", "8"), entry("b", "I32", "2", "4", "12")), 12,
            Kind.INVALID_OFFSET, "b", "4", "12", "8"),
        bad("identical ranges for two names",
            obj(entry("a", "I32", "2,2", "0", "16"), entry("b", "I32", "2,2", "0", "16")), 16,
            Kind.INVALID_OFFSET, "a|b", "16"),
        bad("first tensor at [4,20]", obj(entry("t", "I32", "2,2", "4", "20")), 20,
            Kind.INVALID_OFFSET, "t", "4", "20"),
        bad("offsets [2^64-1, 2^64-1] with shape [0]",
            obj(entry("t", "U8", "0", "18446744073709551615", "18446744073709551615")), 0,
            Kind.INVALID_OFFSET, "t", "18446744073709551615"),
        bad("offsets past the end of the data: b [16,32] of 16 bytes", past, 16,
            Kind.INCOMPLETE_BUFFER, null, String.valueOf(8 + n(past) + 32),
            String.valueOf(8 + n(past) + 16)),
        bad("empty tensor at [5,5] inside a 16-byte tensor",
            obj(T, entry("e", "U8", "0", "5", "5")), 16, Kind.INVALID_OFFSET, "e", "5", "16"),
        bad("one extra trailing byte", t, 17, Kind.INCOMPLETE_BUFFER, null,
            String.valueOf(8 + nt + 17), String.valueOf(8 + nt + 16)),
        bad("one byte short", t, 15, Kind.INCOMPLETE_BUFFER, null,
            String.valueOf(8 + nt + 16), String.valueOf(8 + nt + 15)),
        bad("truncated data: 8 of 16 bytes", t, 8, Kind.INCOMPLETE_BUFFER, null,
            String.valueOf(8 + nt + 16), String.valueOf(8 + nt + 8)),
        bad("no data at all for a 16-byte tensor", t, 0, Kind.INCOMPLETE_BUFFER, null,
            String.valueOf(8 + nt + 16), String.valueOf(8 + nt)),
        bad("{} followed by 8 data bytes", empty, 8, Kind.INCOMPLETE_BUFFER, null, "8", "18"),
        bad("I32 [2,2] with [0,12]", obj(entry("t", "I32", "2,2", "0", "12")), 12,
            Kind.TENSOR_INVALID_INFO, "t", "16", "12"),
        bad("shape [0,4] with [0,16]", obj(entry("t", "I32", "0,4", "0", "16")), 16,
            Kind.TENSOR_INVALID_INFO, "t", "0", "16"),
        bad("F32 [3] with [0,16]", obj(entry("t", "F32", "3", "0", "16")), 16,
            Kind.TENSOR_INVALID_INFO, "t", "12", "16"),
        bad("shape [2^32, 2^32] I32 (element count overflows)",
            obj(entry("t", "I32", "4294967296,4294967296", "0", "16")), 16,
            Kind.VALIDATION_OVERFLOW, "t"),
        bad("U8 shape [2^60] (bit count overflows)",
            obj(entry("t", "U8", "1152921504606846976", "0", "16")), 16,
            Kind.VALIDATION_OVERFLOW, "t"),
        bad("U8 shape [2^21,2^21,2^21] (product 2^63)",
            obj(entry("t", "U8", "2097152,2097152,2097152", "0", "16")), 16,
            Kind.VALIDATION_OVERFLOW, "t"),
        bad("U8 shape [2^64-1] with offsets [0, 2^64-1]",
            obj(entry("t", "U8", "18446744073709551615", "0", "18446744073709551615")), 16,
            Kind.VALIDATION_OVERFLOW, "t"),
        bad("rank 65", obj(entry("t", "I32", "1,".repeat(64) + "1", "0", "4")), 4,
            Kind.LIMIT_EXCEEDED, "t", "64"),
        bad("rank 5,001 with a zero dimension",
            obj(entry("t", "I32", "0," + "1,".repeat(4999) + "1", "0", "0")), 0,
            Kind.LIMIT_EXCEEDED, "t", "64"),
        bad("F4 shape [3] (12 bits)", obj(entry("t", "F4", "3", "0", "2")), 2,
            Kind.MISALIGNED_SLICE, "t", "F4", "3"),
        bad("F6_E2M3 shape [3] (18 bits)", obj(entry("t", "F6_E2M3", "3", "0", "3")), 3,
            Kind.MISALIGNED_SLICE, "t", "F6_E2M3", "3"),
        bad("F6_E3M2 shape [2,3] (36 bits)", obj(entry("t", "F6_E3M2", "2,3", "0", "5")), 5,
            Kind.MISALIGNED_SLICE, "t", "F6_E3M2", "6"),
        bad("F4 [4] given 4 bytes instead of 2", obj(entry("t", "F4", "4", "0", "4")), 4,
            Kind.TENSOR_INVALID_INFO, "t", "2", "4"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource({"framing", "encodingAndWhitespace", "jsonSyntax", "entryFields", "duplicates",
      "metadata", "offsetsAndSizes"})
  void rejected(Bad c) {
    Path f = StFiles.write(dir, NAME, c.bytes);
    SafetensorsException e = expectRejection(f, c.kind);
    String msg = e.getMessage();
    if (c.tensor != null) {
      boolean named = false;
      for (String alt : c.tensor.split("\\|")) {
        // Quoted in any usual style, so a one-letter name is not found inside some other word.
        named |= msg.contains("'" + alt + "'") || msg.contains("`" + alt + "`")
            || msg.contains("\"" + alt + "\"");
      }
      assertTrue(named, "message should name tensor " + c.tensor + ": " + msg);
    }
    String lower = msg.toLowerCase(Locale.ROOT);
    for (String frag : c.fragments) {
      assertTrue(lower.contains(frag.toLowerCase(Locale.ROOT)),
          "message should contain '" + frag + "': " + msg);
    }
  }

  /** Opens the file; it must fail with exactly {@code kind}, naming the file, and nothing else. */
  private static SafetensorsException expectRejection(Path f, Kind kind) {
    Throwable thrown = null;
    try {
      StFiles.open(f).close();
    } catch (Throwable t) {
      thrown = t;
    }
    assertNotNull(thrown, "the file was accepted but must be rejected with " + kind);
    if (!(thrown instanceof SafetensorsException)) {
      throw new AssertionError("expected SafetensorsException(" + kind + ") but got " + thrown,
          thrown);
    }
    SafetensorsException e = (SafetensorsException) thrown;
    assertEquals(kind, e.kind(), () -> "wrong kind; message: " + e.getMessage());
    assertNotNull(e.getMessage());
    assertTrue(e.getMessage().contains(f.getFileName().toString()),
        "message should name the file: " + e.getMessage());
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Bugs found (see the report): disabled until main code is fixed
  // ---------------------------------------------------------------------------------------------

  /**
   * A genuine safetensors file cut inside its header, whose N happens to start with a byte the
   * sniffer looks for (0x80 = pickle, '<' = HTML, '{' = JSON). N = 128 is the §1.6 golden vector
   * "test1/test2" — a real writer output — and must be reported as a truncated header
   * (INVALID_HEADER_LENGTH, reference §4.3 framing), not as "a Python pickle / HTML page".
   */
  static Stream<Arguments> plausibleNThatLooksLikeAMagicByte() {
    return Stream.of(
        bad("N = 128 (first byte 0x80), header cut after 2 bytes", withN(128, utf8("{\"")),
            Kind.INVALID_HEADER_LENGTH, null, "128", "10"),
        bad("N = 60 (first byte '<'), header cut after 2 bytes", withN(60, utf8("{\"")),
            Kind.INVALID_HEADER_LENGTH, null, "60", "10"),
        bad("N = 123 (first byte '{'), header cut after 2 bytes", withN(123, utf8("{\"")),
            Kind.INVALID_HEADER_LENGTH, null, "123", "10"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plausibleNThatLooksLikeAMagicByte")
  void truncatedHeaderWithPlausibleNIsNotMistakenForAnotherFormat(Bad c) {
    rejected(c);
  }

  /**
   * An unknown field whose value is nested 500,000 arrays deep (1 MB header). The reference
   * (serde_json) stops at depth 128 with a JSON error; the Java parser must fail with a
   * SafetensorsException too, not a StackOverflowError.
   */
  @Test
  void deeplyNestedUnknownFieldIsRejectedWithoutStackOverflow() {
    int depth = 500_000;
    String header = "{\"t\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16],\"extra\":"
        + "[".repeat(depth) + "]".repeat(depth) + "}}";
    Path f = StFiles.write(dir, NAME, file(header, 16));
    Throwable thrown = null;
    try {
      StFiles.open(f).close();
    } catch (Throwable t) {
      thrown = t;
    }
    assertNotNull(thrown, "a 500,000-deep value must be rejected (reference limit: 128)");
    if (!(thrown instanceof SafetensorsException)) {
      throw new AssertionError("expected SafetensorsException but got " + thrown.getClass(),
          thrown);
    }
    Kind k = ((SafetensorsException) thrown).kind();
    assertTrue(k == Kind.INVALID_JSON || k == Kind.LIMIT_EXCEEDED, "kind " + k);
    assertTrue(thrown.getMessage().contains(NAME));
  }

  // ---------------------------------------------------------------------------------------------
  // Valid but odd files: accepted with the right content
  // ---------------------------------------------------------------------------------------------

  static final class Ok {
    final byte[] bytes;
    final List<String> tensors;
    final Map<String, String> metadata;

    Ok(byte[] bytes, List<String> tensors, Map<String, String> metadata) {
      this.bytes = bytes;
      this.tensors = tensors;
      this.metadata = metadata;
    }
  }

  /**
   * An accepted case. {@code tensors} lists "name DTYPE [dims] begin end" per tensor;
   * {@code metadata} null means the file must have no {@code __metadata__}.
   */
  private static Arguments ok(String label, byte[] bytes, Map<String, String> metadata,
      String... tensors) {
    return Arguments.of(Named.of(label, new Ok(bytes, List.of(tensors), metadata)));
  }

  private static Arguments ok(String label, String header, int dataLen,
      Map<String, String> metadata, String... tensors) {
    return ok(label, file(header, dataLen), metadata, tensors);
  }

  private static String notMultipleOf8(String header) {
    String h = header;
    while (utf8(h).length % 8 == 0) {
      h = h + " ";
    }
    return h;
  }

  static Stream<Arguments> accepted() {
    String emoji = new String(Character.toChars(0x1F600));
    String tq = T.replace('"', '\'');
    StringBuilder allDtypes = new StringBuilder("{");
    List<String> allExpected = new ArrayList<>();
    // Every dtype code of §2.1 with 8 elements: bits/8 bytes each, laid out in declaration order.
    String[] codes = {"BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3",
        "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32",
        "F32", "C64", "F64", "I64", "U64"};
    int[] bits = {8, 4, 6, 6, 8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 32, 32, 32, 64, 64, 64, 64};
    long pos = 0;
    for (int i = 0; i < codes.length; i++) {
      long bytes = 8L * bits[i] / 8;
      if (i > 0) {
        allDtypes.append(',');
      }
      String nm = "x_" + codes[i].toLowerCase(Locale.ROOT);
      allDtypes.append(entry(nm, codes[i], "8", String.valueOf(pos), String.valueOf(pos + bytes)));
      allExpected.add(nm + " " + codes[i] + " [8] " + pos + " " + (pos + bytes));
      pos += bytes;
    }
    allDtypes.append('}');
    return Stream.of(
        ok("leading TAB/LF/SP/CR before {", " \t\n\r" + obj(T), 16, null, "t I32 [2, 2] 0 16"),
        ok("padded to a 4 KiB page with spaces", String.format("%-4096s", obj(T)), 16, null,
            "t I32 [2, 2] 0 16"),
        ok("trailing TAB/CR/LF padding", obj(T) + "\t\r\n  ", 16, null, "t I32 [2, 2] 0 16"),
        ok("whitespace everywhere between tokens",
            "{ \"t\" :\n{ \"dtype\" : \"I32\" ,\t\"shape\" : [ 2 , 2 ] , \"data_offsets\" : "
                + "[ 0 , 16 ] } }",
            16, null, "t I32 [2, 2] 0 16"),
        ok("fields in another order (data_offsets, shape, dtype)",
            j("{'t':{'data_offsets':[0,16],'shape':[2,2],'dtype':'I32'}}"), 16, null,
            "t I32 [2, 2] 0 16"),
        ok("unknown extra fields are ignored",
            j("{'t':{'extra':1,'dtype':'I32','x':{'a':[true,false,null,-1.5e3,'s',{}]},"
                + "'shape':[2,2],'y':[],'data_offsets':[0,16],'z':'\\u00e9\\n'}}"),
            16, null, "t I32 [2, 2] 0 16"),
        ok("escaped surrogate pair in a name", obj(T.replace("\"t\"", "\"\\ud83d\\ude00\"")), 16,
            null, emoji + " I32 [2, 2] 0 16"),
        ok("\\/ escape in a name", obj(T.replace("\"t\"", "\"a\\/b\"")), 16, null,
            "a/b I32 [2, 2] 0 16"),
        ok("short escapes in a name", obj(T.replace("\"t\"", "\"q\\\"b\\\\n\\n\\t\\u0001\"")),
            16, null, "q\"b\\n\n\t\u0001 I32 [2, 2] 0 16"),
        ok("two zero-size tensors at [0,0] before [0,16]",
            obj(T, entry("e1", "U8", "0", "0", "0"), entry("e2", "F32", "3,0", "0", "0")), 16,
            null, "t I32 [2, 2] 0 16", "e1 U8 [0] 0 0", "e2 F32 [3, 0] 0 0"),
        ok("empty tensor at the end [16,16]", obj(T, entry("e", "I64", "0,5", "16", "16")), 16,
            null, "t I32 [2, 2] 0 16", "e I64 [0, 5] 16 16"),
        ok("scalar [] I32 in 4 bytes", obj(entry("s", "I32", "", "0", "4")), 4, null,
            "s I32 [] 0 4"),
        ok("N not a multiple of 8", notMultipleOf8(obj(T)), 16, null, "t I32 [2, 2] 0 16"),
        ok("F4 [4] in 2 bytes", obj(entry("f", "F4", "4", "0", "2")), 2, null,
            "f F4 [4] 0 2"),
        ok("F4 [1,2] in 1 byte", obj(entry("f", "F4", "1,2", "0", "1")), 1, null,
            "f F4 [1, 2] 0 1"),
        ok("F6_E2M3 [4] in 3 bytes", obj(entry("f", "F6_E2M3", "4", "0", "3")), 3, null,
            "f F6_E2M3 [4] 0 3"),
        ok("F6_E3M2 [4] in 3 bytes", obj(entry("f", "F6_E3M2", "4", "0", "3")), 3, null,
            "f F6_E3M2 [4] 0 3"),
        ok("__metadata__ null", j("{'__metadata__':null," + tq + "}"), 16, null,
            "t I32 [2, 2] 0 16"),
        ok("__metadata__ {}", j("{'__metadata__':{}," + tq + "}"), 16, Map.of(),
            "t I32 [2, 2] 0 16"),
        ok("__metadata__ after the tensors",
            j("{" + tq + ",'__metadata__':{'format':'pt','b':'x'}}"), 16,
            Map.of("format", "pt", "b", "x"), "t I32 [2, 2] 0 16"),
        ok("escaped key \\u005f_metadata__ is the metadata",
            j("{'\\u005f_metadata__':{'format':'pt'}," + tq + "}"), 16, Map.of("format", "pt"),
            "t I32 [2, 2] 0 16"),
        ok("escapes in metadata values", j("{'__metadata__':{'k':'a\\'b\\u00e9\\/'}}"), 0,
            Map.of("k", "a\"b\u00e9/")),
        ok("metadata only, no tensors, no data", j("{'__metadata__':{'format':'pt'}}"), 0,
            Map.of("format", "pt")),
        ok("{} alone: no tensors, no metadata", "{}", 0, null),
        ok("header order differs from offset order",
            obj(entry("b", "F32", "4", "16", "32"), entry("a", "I32", "2,2", "0", "16")), 32,
            null, "b F32 [4] 16 32", "a I32 [2, 2] 0 16"),
        ok("BOOL bytes 02 FF",
            file(utf8(obj(entry("m", "BOOL", "2", "0", "2"))), new byte[] {2, (byte) 0xFF}),
            null, "m BOOL [2] 0 2"),
        ok("F8_E4M3FNUZ", obj(entry("q", "F8_E4M3FNUZ", "3", "0", "3")), 3, null,
            "q F8_E4M3FNUZ [3] 0 3"),
        ok("empty tensor name \"\"", obj(entry("", "U8", "1", "0", "1")), 1, null,
            " U8 [1] 0 1"),
        ok("non-ASCII names poids.\u00e9, emoji, U+2028",
            obj(entry("poids.\u00e9", "U8", "1", "0", "1"), entry(emoji, "U8", "1", "1", "2"),
                entry("a\u2028b", "U8", "1", "2", "3")),
            3, null, "poids.\u00e9 U8 [1] 0 1", emoji + " U8 [1] 1 2", "a\u2028b U8 [1] 2 3"),
        ok("rank 64", obj(entry("r", "U8", "1,".repeat(63) + "2", "0", "2")), 2, null,
            "r U8 " + rankString(64) + " 0 2"),
        ok("every dtype code, 8 elements each", allDtypes.toString(), (int) pos, null,
            allExpected.toArray(new String[0])));
  }

  private static String rankString(int rank) {
    long[] s = new long[rank];
    Arrays.fill(s, 1);
    s[rank - 1] = 2;
    return Arrays.toString(s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void accepted(Ok c) {
    Path f = StFiles.write(dir, NAME, c.bytes);
    long n = StFiles.readLe64(c.bytes, 0);
    try (SafetensorsFile sf = StFiles.open(f)) {
      SafetensorsHeader h = sf.header();
      Set<String> got = new TreeSet<>();
      for (TensorInfo t : h.tensors().values()) {
        got.add(t.name() + " " + t.dtype().code() + " " + Arrays.toString(t.shape()) + " "
            + t.begin() + " " + t.end());
      }
      assertEquals(new TreeSet<>(c.tensors), got);
      assertEquals(c.metadata != null, h.hasMetadata(), "hasMetadata");
      assertEquals(c.metadata == null ? Map.of() : c.metadata, h.metadata());
      assertEquals(n, h.headerSize());
      assertEquals(8 + n, h.dataStart());
      assertEquals(c.bytes.length, h.fileLength());
      // Every tensor's bytes come from 8 + N + begin of the file as built.
      for (TensorInfo t : h.tensors().values()) {
        ByteBuffer buf = ByteBuffer.allocate((int) t.byteLength());
        sf.readBytes(t, 0, buf);
        int from = (int) (8 + n + t.begin());
        assertArrayEquals(Arrays.copyOfRange(c.bytes, from, from + (int) t.byteLength()),
            buf.array(), t.name());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The real truncated checkpoint
  // ---------------------------------------------------------------------------------------------

  @Test
  void realTruncatedMiniLmIsIncompleteBufferWithMissingByteCount() throws IOException {
    String models = System.getProperty("sparkmerge.models");
    Assumptions.assumeTrue(models != null, "sparkmerge.models not set");
    Path f = Paths.get(models, "negative-truncated-all-MiniLM-L6-v2", "model.safetensors");
    Assumptions.assumeTrue(Files.isRegularFile(f), "absent: " + f);

    // Independent computation of the shortfall: parse the header with Jackson.
    long fileLength = Files.size(f);
    long n;
    long lastEnd = 0;
    try (InputStream in = Files.newInputStream(f)) {
      byte[] prefix = in.readNBytes(8);
      n = StFiles.readLe64(prefix, 0);
      byte[] header = in.readNBytes((int) n);
      JsonNode root = new ObjectMapper().readTree(header);
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        if (!e.getKey().equals("__metadata__")) {
          lastEnd = Math.max(lastEnd, e.getValue().get("data_offsets").get(1).asLong());
        }
      }
    }
    long missing = 8 + n + lastEnd - fileLength;
    assertTrue(missing > 0, "the fixture should be truncated");

    SafetensorsException e = expectRejection(f, Kind.INCOMPLETE_BUFFER);
    assertTrue(e.getMessage().contains(String.valueOf(missing)),
        "message should say " + missing + " bytes are missing: " + e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(fileLength)), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Never hangs, never OOMs: truncations and random single-byte corruptions
  // ---------------------------------------------------------------------------------------------

  private static final String SWEEP_HEADER = j("{'__metadata__':{'format':'pt'},"
      + "'a':{'dtype':'F32','shape':[2,2],'data_offsets':[0,16]},"
      + "'b':{'dtype':'U8','shape':[3],'data_offsets':[16,19]},"
      + "'c':{'dtype':'BF16','shape':[],'data_offsets':[19,21]}}");

  @Test
  void everyTruncationIsRejectedWithTheRightKind() {
    byte[] full = file(SWEEP_HEADER, 21);
    long n = n(SWEEP_HEADER);
    Path f = StFiles.write(dir, NAME, full);
    try (SafetensorsFile sf = StFiles.open(f)) {
      assertEquals(3, sf.header().tensors().size());
    }
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (int len = 0; len < full.length; len++) {
        StFiles.write(dir, NAME, Arrays.copyOf(full, len));
        Kind expected = len < 8 ? Kind.HEADER_TOO_SMALL
            : len < 8 + n ? Kind.INVALID_HEADER_LENGTH : Kind.INCOMPLETE_BUFFER;
        SafetensorsException e = expectRejection(f, expected);
        assertTrue(e.getMessage().contains(String.valueOf(len)),
            "prefix " + len + ": message should give the file length: " + e.getMessage());
      }
    });
  }

  @Test
  void randomSingleByteCorruptionsNeverThrowAnythingElse() {
    byte[] full = file(SWEEP_HEADER, 21);
    Path f = StFiles.write(dir, NAME, full);
    Random rnd = new Random(0x5AFE7E5L);
    List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (int i = 0; i < 400; i++) {
        byte[] b = full.clone();
        int pos = rnd.nextInt(b.length);
        byte v;
        do {
          v = (byte) rnd.nextInt(256);
        } while (v == b[pos]);
        b[pos] = v;
        StFiles.write(dir, NAME, b);
        try (SafetensorsFile sf = StFiles.open(f)) {
          outcomes.add("ok");
          // A corruption that still parses can only have changed data bytes, a name, or metadata.
          assertEquals(b.length, sf.header().fileLength());
        } catch (SafetensorsException e) {
          assertTrue(e.getMessage().contains(NAME), e.getMessage());
          outcomes.add(e.kind().name());
        } catch (Throwable t) {
          throw new AssertionError("byte " + pos + " set to 0x"
              + Integer.toHexString(v & 0xFF) + " made open() throw " + t, t);
        }
      }
    });
    assertEquals(400, outcomes.size());
    // The seed hits both the header (rejections) and the data section (accepted).
    assertTrue(outcomes.contains("ok"), outcomes.toString());
    assertTrue(outcomes.stream().anyMatch(s -> !s.equals("ok")), outcomes.toString());
  }

  /** The reference's own file-shape checks, ordered: HeaderTooSmall wins for a 7-byte LFS stub. */
  @Test
  void sevenByteFileIsTooSmallEvenIfItLooksLikeText() {
    Path f = StFiles.write(dir, NAME, latin1("version"));
    SafetensorsException e = expectRejection(f, Kind.HEADER_TOO_SMALL);
    assertTrue(e.getMessage().contains("7"), e.getMessage());
  }

  /** Every rejection in the matrix must carry the tensor via tensor() when it is about one. */
  @Test
  void tensorAccessorIsSetForTensorSpecificErrors() {
    Path f = StFiles.write(dir, NAME,
        file(obj(entry("a", "I32", "2", "0", "8"), entry("b", "I32", "2", "12", "20")), 20));
    SafetensorsException e = expectRejection(f, Kind.INVALID_OFFSET);
    assertEquals("b", e.tensor());
  }
}
