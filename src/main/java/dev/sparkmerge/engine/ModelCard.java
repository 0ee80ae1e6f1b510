package dev.sparkmerge.engine;

import dev.sparkmerge.plan.MergePlan;

/** The README.md model card of a merged model: what was merged, how, and the config. */
final class ModelCard {
  private ModelCard() {}

  static String text(MergePlan plan, String title) {
    StringBuilder sb = new StringBuilder();
    sb.append("---\nlibrary_name: transformers\ntags:\n- mergekit\n- sparkmerge\n- merge\n---\n");
    sb.append("# ").append(title).append("\n\n");
    sb.append("This model was merged with sparkmerge using the `")
        .append(plan.job().mergeMethod()).append("` merge method");
    if (plan.job().baseModel() != null) {
      sb.append(", with `").append(plan.job().baseModel().display()).append("` as the base");
    }
    sb.append(".\n\n## Models merged\n\n");
    for (String m : plan.inputModels()) {
      sb.append("- `").append(m).append("`\n");
    }
    sb.append("\n## Configuration\n\n```yaml\n").append(plan.job().sourceText().strip())
        .append("\n```\n");
    return sb.toString();
  }
}
