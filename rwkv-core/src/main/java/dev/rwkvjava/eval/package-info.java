/**
 * Measuring how well a model predicts text: token-level log-probabilities and perplexity ({@link
 * dev.rwkvjava.eval.TokenScorer}, {@link dev.rwkvjava.eval.PerplexityStats}), LAMBADA-style last-word prediction
 * ({@link dev.rwkvjava.eval.Lambada}, read from JSONL by {@link dev.rwkvjava.eval.LambadaJsonl}), and the divergence
 * of a model from a base model on the same tokens (KL divergence, top-1 agreement, logit differences), the usual
 * check of a quantized model against its float original.
 */
package dev.rwkvjava.eval;
