package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

/** Test helpers: load YAML with the fake catalog, or collect the problems it has. */
final class Configs {
  private Configs() {}

  static JobSpec load(String yaml) {
    return ConfigLoader.load(yaml, "test.yml", FakeCatalog.INSTANCE);
  }

  static List<String> problems(String yaml) {
    return assertThrows(ConfigException.class, () -> load(yaml)).problems();
  }

  /** The one problem of a config that has exactly one. */
  static String problem(String yaml) {
    List<String> p = problems(yaml);
    if (p.size() != 1) {
      throw new AssertionError("expected one problem, got " + p.size() + ":\n"
          + String.join("\n", p));
    }
    return p.get(0);
  }
}
