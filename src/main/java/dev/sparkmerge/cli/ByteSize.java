package dev.sparkmerge.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/**
 * Sizes with suffixes: decimal {@code KB MB GB TB} (10^3...), binary {@code KiB MiB GiB TiB}
 * (2^10...), or plain bytes ({@code B} optional). {@code 5GB} is 5·10^9 bytes, as in Hugging Face's
 * max_shard_size.
 */
public final class ByteSize implements ITypeConverter<Long> {
  private static final Pattern SIZE =
      Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b|b)?\\s*", Pattern.CASE_INSENSITIVE);

  @Override
  public Long convert(String value) {
    return parse(value);
  }

  public static long parse(String value) {
    Matcher m = SIZE.matcher(value);
    if (!m.matches()) {
      throw new UserInputException("'" + value + "' is not a size; write e.g. 64MiB, 5GB or 1048576");
    }
    double number = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    double multiplier;
    switch (unit) {
      case "b": multiplier = 1; break;
      case "kb": multiplier = 1e3; break;
      case "mb": multiplier = 1e6; break;
      case "gb": multiplier = 1e9; break;
      case "tb": multiplier = 1e12; break;
      case "kib": multiplier = 1L << 10; break;
      case "mib": multiplier = 1L << 20; break;
      case "gib": multiplier = 1L << 30; break;
      case "tib": multiplier = 1L << 40; break;
      default: throw new UserInputException("unknown size unit in '" + value + "'");
    }
    double bytes = number * multiplier;
    if (bytes != Math.rint(bytes) || bytes > Long.MAX_VALUE) {
      throw new UserInputException("'" + value + "' is not a whole number of bytes");
    }
    return (long) bytes;
  }
}
