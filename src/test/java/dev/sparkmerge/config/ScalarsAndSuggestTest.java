package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.StringReader;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.ScalarNode;

/** Number reading as PyYAML + pydantic do it, and the "did you mean" heuristics. */
class ScalarsAndSuggestTest {
  private static Double number(String yamlValue) {
    MappingNode m = (MappingNode) new Yaml().compose(new StringReader("v: " + yamlValue));
    return Scalars.number((ScalarNode) m.getValue().get(0).getValueNode());
  }

  @Test
  void numbersInEverySpelling() {
    assertEquals(1e-5, number("1e-5"));
    assertEquals(1e-5, number("'1e-5'"));
    assertEquals(0.5, number(".5"));
    assertEquals(-0.5, number("-0.5"));
    assertEquals(1000.0, number("+1e3"));
    assertEquals(1000.0, number("1_000"));
    assertEquals(2.0, number("2."));
    assertEquals(16.0, number("0x10"));
    assertEquals(Double.POSITIVE_INFINITY, number(".inf"));
    assertEquals(Double.NEGATIVE_INFINITY, number("-.inf"));
    assertEquals(1.0, number("true"));
    assertEquals(1.0, number("yes"));
    assertEquals(0.0, number("Off"));
  }

  @Test
  void stringsStayStrings() {
    assertNull(number("count"));
    assertNull(number(".nan"));
    assertNull(number("'true'"));
    assertNull(number("1.2.3"));
    assertNull(number("e5"));
    assertNull(number("_"));
  }

  @Test
  void suggestions() {
    java.util.List<String> keys = java.util.List.of("model", "parameters", "layer_range");
    assertEquals("parameters", Suggest.closest("paramters", keys));
    assertEquals("layer_range", Suggest.closest("layer_rang", keys));
    assertEquals("layer_range", Suggest.closest("layer-range", keys));
    assertNull(Suggest.closest("base_model", keys));
    assertNull(Suggest.closest("xyz", keys));
    assertEquals(1, Suggest.distance("density", "desnity"));
    assertEquals(3, Suggest.distance("kitten", "sitting"));
  }
}
