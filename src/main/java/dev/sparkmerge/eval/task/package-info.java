/**
 * Task files, tokenization and scoring for {@code sparkmerge eval}: everything between a model
 * that gives logits ({@link dev.sparkmerge.eval.model.CausalLm}) and the scores' JSON.
 *
 * <ul>
 *   <li>{@link dev.sparkmerge.eval.task.TaskSet} loads JSONL task files (one example per line,
 *       the kind told by the keys) and checks every line before anything is scored.
 *   <li>{@link dev.sparkmerge.eval.task.TextTokenizer} runs the model's {@code tokenizer.json}
 *       through DJL, offline.
 *   <li>{@link dev.sparkmerge.eval.task.ExampleScorer} scores one example with a model: loss,
 *       exact match by greedy decoding, multiple choice; its javadoc states every rule.
 *   <li>{@link dev.sparkmerge.eval.task.TaskTotals} add up examples in any order to the same
 *       bits; {@link dev.sparkmerge.eval.task.TaskScore} and
 *       {@link dev.sparkmerge.eval.task.ModelScores} are the results, and
 *       {@link dev.sparkmerge.eval.task.EvalJson} writes and reads them.
 * </ul>
 *
 * <p>Errors the user causes (a bad line, a missing tokenizer, ids outside the vocabulary) are
 * {@link dev.sparkmerge.eval.EvalException}s naming the file, the 1-based line and the key.
 */
package dev.sparkmerge.eval.task;
