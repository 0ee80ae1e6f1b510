package dev.sparkmerge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every example in jobs/ loads cleanly; the ones this package ships mean what they say. */
class ExampleJobsTest {
  private static final Path JOBS = Path.of("jobs");

  private static JobSpec job(String file) throws IOException {
    Path p = JOBS.resolve(file);
    return ConfigLoader.load(Files.readString(p, StandardCharsets.UTF_8), p.toString(),
        FakeCatalog.INSTANCE);
  }

  /** Adapter directories matching a local glob (the last path component may hold wildcards). */
  private static List<String> glob(String pattern) {
    Path p = Path.of(pattern);
    try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(p.getParent(),
        p.getFileName().toString())) {
      List<String> out = new java.util.ArrayList<>();
      for (Path d : s) {
        if (Files.exists(d.resolve("adapter_config.json"))) {
          out.add(d.toString());
        }
      }
      java.util.Collections.sort(out);
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + pattern + ": " + e.getMessage());
    }
  }

  @Test
  void everyExampleLoads() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(JOBS)) {
      files = s.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
          .sorted().collect(Collectors.toList());
    }
    assertTrue(files.size() >= 5, files.toString());
    for (Path p : files) {
      String text = Files.readString(p, StandardCharsets.UTF_8);
      if (text.contains("\nadapters:") && !Files.isDirectory(Path.of("../shared/models"))) {
        continue; // its adapters live in ../shared/models, which this checkout lacks
      }
      ConfigLoader.loadCandidates(text, p.toString(), FakeCatalog.INSTANCE, ExampleJobsTest::glob);
    }
  }

  @Test
  void slerpExampleUsesGradientsAndFilters() throws IOException {
    JobSpec job = job("slerp.yml");
    SliceSpec s = job.slices().get(0);
    assertFalse(job.baseAutoAppended());
    // Layer 1 of 3 sits at t = 0.5, the middle anchor of [0, 0.5, 0.3, 0.7, 1].
    assertEquals(0.3, ParameterResolver.global("t", job, s,
        "model.layers.1.self_attn.q_proj.weight", Gradients.t(1, 3)), 0);
    assertEquals(1.0, ParameterResolver.global("t", job, s, "model.layers.0.mlp.down_proj.weight",
        Gradients.t(0, 3)), 0);
    assertEquals(0.5, ParameterResolver.global("t", job, s, "model.norm.weight", 0), 0);
    assertEquals("base", job.tokenizerSource());
  }

  @Test
  void tiesAndDareExamples() throws IOException {
    JobSpec ties = job("ties.yml");
    assertTrue(ties.baseAutoAppended());
    SliceSpec s = ties.slices().get(0);
    assertEquals(3, s.sources().size());
    assertEquals(0.7, ParameterResolver.perModel("density", ties, s, s.sources().get(0),
        "model.layers.2.mlp.down_proj.weight", 1), 0);
    assertEquals(0.5, ParameterResolver.perModel("density", ties, s, s.sources().get(0),
        "model.layers.2.self_attn.q_proj.weight", 1), 0);
    JobSpec dare = job("dare_ties.yml");
    assertEquals(1234L, dare.seed());
    SliceSpec d = dare.slices().get(0);
    assertEquals(0.45, ParameterResolver.perModel("weight", dare, d, d.sources().get(0),
        "model.layers.1.mlp.down_proj.weight", Gradients.t(1, 3)), 1e-15);
    assertEquals(0.6, ParameterResolver.perModel("density", dare, d, d.sources().get(1),
        "model.layers.1.mlp.down_proj.weight", 0), 0);
  }

  @Test
  void frankenmergeExampleStacksLayers() throws IOException {
    JobSpec job = job("frankenmerge.yml");
    assertTrue(job.slicesSyntax());
    assertEquals(2, job.slices().size());
    assertEquals(4, job.slices().get(0).length() + job.slices().get(1).length());
    SliceSpec second = job.slices().get(1);
    assertEquals(0.5, ParameterResolver.perModel("scale", job, second, second.sources().get(0),
        "model.layers.2.self_attn.o_proj.weight", 0), 0);
  }
}
