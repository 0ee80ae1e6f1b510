package dev.sparkmerge.checkpoint;

import java.nio.charset.StandardCharsets;

/**
 * Recognises the files most often saved under a .safetensors name by mistake (Git LFS pointers,
 * HTML error pages, PyTorch zip and pickle checkpoints), so the error can say what the file is.
 */
final class FileSniffer {
  private FileSniffer() {}

  /**
   * A short description of what the file looks like, or null if it is none of the known kinds.
   *
   * @param strongOnly only recognise multi-byte signatures (Git LFS, zip): a real safetensors file
   *     cut short inside its header may start with any single byte, such as '{' or '<'
   */
  static String describe(byte[] prefix, boolean strongOnly) {
    String ascii = new String(prefix, 0, Math.min(prefix.length, 8), StandardCharsets.ISO_8859_1);
    if (ascii.startsWith("version ")) {
      return "a Git LFS pointer file (run 'git lfs pull' in the repository to fetch the real"
          + " weights)";
    }
    if (prefix.length >= 4 && prefix[0] == 'P' && prefix[1] == 'K' && prefix[2] == 3
        && prefix[3] == 4) {
      return "a zip archive, such as a PyTorch .bin checkpoint (convert it to safetensors first)";
    }
    if (strongOnly) {
      return null;
    }
    String trimmed = ascii.stripLeading();
    if (trimmed.startsWith("<")) {
      return "an HTML or XML page (a failed download or a login page; download the file again)";
    }
    if (prefix.length >= 1 && (prefix[0] & 0xFF) == 0x80) {
      return "a Python pickle, such as a legacy PyTorch checkpoint (convert it to safetensors"
          + " first)";
    }
    if (trimmed.startsWith("{")) {
      return "a JSON text file (perhaps an index or config file given in place of the weights)";
    }
    return null;
  }
}
