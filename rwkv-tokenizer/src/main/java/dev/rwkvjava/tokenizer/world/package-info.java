/** The RWKV World tokenizer: vocabulary file parser and greedy longest match on a double-array byte trie. */
package dev.rwkvjava.tokenizer.world;
