// Trains Hugging Face's byte-level BPE (npm `tokenizers`) on text files, the way a rustbpe user would
// configure it: the split regex as an isolating Split pre-tokenizer, then ByteLevel without prefix
// space and without its own regex; no minimum frequency, no special tokens. The node binding's
// train() uses the model's default BpeTrainer, whose vocabulary size is 30000 (alphabet included).
//
//   node hf_train.js --pattern REGEX --out tokenizer.json FILE...
//
// stdout: one JSON line {seconds, vocab_size, merges}: seconds covers train() only.
"use strict";
const path = require("path");
const { Tokenizer } = require(path.join(__dirname, "node_modules", "tokenizers"));

const argv = process.argv.slice(2);
let pattern = null, out = null;
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--pattern") pattern = argv[++i];
  else if (argv[i] === "--out") out = argv[++i];
  else files.push(argv[i]);
}
if (!pattern || !out || files.length === 0) {
  console.error("usage: node hf_train.js --pattern REGEX --out tokenizer.json FILE...");
  process.exit(2);
}
const spec = {
  version: "1.0",
  truncation: null, padding: null, added_tokens: [], normalizer: null,
  pre_tokenizer: {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  },
  post_processor: null,
  decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
  model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null,
           end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: {}, merges: [] },
};
const tok = Tokenizer.fromString(JSON.stringify(spec));
const t0 = process.hrtime.bigint();
tok.train(files);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
tok.save(out, false);
const saved = require(path.resolve(out));
process.stdout.write(JSON.stringify({ seconds, vocab_size: tok.getVocabSize(), merges: saved.model.merges.length }) + "\n");
