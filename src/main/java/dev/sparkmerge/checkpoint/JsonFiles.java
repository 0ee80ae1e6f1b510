package dev.sparkmerge.checkpoint;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.apache.hadoop.fs.Path;

/** Reads the small JSON files of model and adapter directories, with errors naming file and line. */
final class JsonFiles {
  private static final int MAX_JSON_BYTES = 64 << 20;
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private JsonFiles() {}

  /** Parses a JSON file whose top level must be an object. */
  static ObjectNode readObject(CheckpointFs fs, Path path, String what) {
    byte[] bytes = fs.readSmallFile(path, what, MAX_JSON_BYTES);
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (JsonParseException e) {
      throw new CheckpointException(path + ": " + what + " is not valid JSON: "
          + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ").");
    } catch (IOException e) {
      throw new CheckpointException(path + ": cannot parse " + what + ": " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new CheckpointException(path + ": " + what + " must contain a JSON object.");
    }
    return (ObjectNode) node;
  }
}
