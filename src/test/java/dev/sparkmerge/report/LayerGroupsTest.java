package dev.sparkmerge.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerGroupsTest {
  @Test
  void tensorsGroupByLayerNumberElseByRole() {
    assertEquals("0", LayerGroups.of("model.layers.0.self_attn.q_proj.weight"));
    assertEquals("12", LayerGroups.of("model.layers.12.mlp.down_proj.weight"));
    assertEquals("3", LayerGroups.of("transformer.h.3.attn.c_attn.weight"));
    assertEquals("7", LayerGroups.of("base_model.model.model.layers.7.self_attn.v_proj"));
    assertEquals("embed", LayerGroups.of("model.embed_tokens.weight"));
    assertEquals("embed", LayerGroups.of("transformer.wte.weight"));
    assertEquals("norm", LayerGroups.of("model.norm.weight"));
    assertEquals("norm", LayerGroups.of("transformer.ln_f.weight"));
    assertEquals("head", LayerGroups.of("lm_head.weight"));
    assertEquals("other", LayerGroups.of("rotary.inv_freq"));
  }

  @Test
  void groupsSortAsTheModelRuns() {
    List<String> g = new ArrayList<>(List.of("head", "10", "norm", "2", "embed", "other", "0"));
    g.sort(LayerGroups.ORDER);
    assertEquals(List.of("embed", "0", "2", "10", "norm", "head", "other"), g);
  }
}
