/**
 * PEFT LoRA adapters applied to a base model without materialising either (reference/peft-lora.md
 * §2–§3).
 *
 * <p>Driver side, headers only: {@link dev.sparkmerge.lora.AdapterMapping#map} lays one adapter
 * onto one base model and yields serialisable {@link dev.sparkmerge.lora.LoraTarget}s (ΔW = s·B·A
 * for one base tensor, with its orientation), {@link dev.sparkmerge.lora.LoraBiasTarget}s
 * (lora_bias), and full-tensor replacements; every mapping problem is an error there.
 *
 * <p>Executor side: {@link dev.sparkmerge.lora.LoraDelta} reads the two small factors and fills
 * any element range of ΔW in the base tensor's stored orientation, bit-identical for any
 * chunking; {@link dev.sparkmerge.lora.LoraBiasDelta} does the same for a bias;
 * {@link dev.sparkmerge.lora.DoraMerge} merges a DoRA module in two passes (norm statistics, then
 * values).
 *
 * <p>Adapter output, on the driver: {@link dev.sparkmerge.lora.AdapterCombiner} writes one PEFT
 * adapter from many — {@code cat} exactly from the factors, {@code svd} exactly or, for many
 * adapters, by a randomised SVD of their dense sum ({@link dev.sparkmerge.lora.SvdSolver}),
 * PEFT's dense family
 * ({@code ties_svd}, ...) by merging each module's dense updates with the method registry's
 * kernel and reducing the result with a randomised SVD.
 */
package dev.sparkmerge.lora;
