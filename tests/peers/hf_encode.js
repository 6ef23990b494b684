// Encodes documents with a Hugging Face tokenizer.json (npm `tokenizers`) and reports everything the
// Python `tokenizers` API exposes per document, for conformance tests of crayon.compat.tokenizers.
//
//   node hf_encode.js TOKENIZER.json < request.json > answer.json
//
// request: {docs: [str], add_special_tokens: bool, decode: [[ids], ...], skip_special_tokens: bool}
// answer:  {encodings: [{ids, tokens, offsets}], decoded: [str], vocab_size: int}
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require(path.join(__dirname, "node_modules", "tokenizers"));

async function main() {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const req = JSON.parse(fs.readFileSync(0, "utf8"));
  const opts = { addSpecialTokens: req.add_special_tokens !== false };
  const encodings = [];
  for (const d of req.docs || []) {
    const e = await tok.encode(d, null, opts);
    encodings.push({ ids: Array.from(e.getIds()), tokens: e.getTokens(), offsets: e.getOffsets() });
  }
  const decoded = [];
  for (const ids of req.decode || []) decoded.push(await tok.decode(ids, req.skip_special_tokens !== false));
  process.stdout.write(JSON.stringify({ encodings, decoded, vocab_size: tok.getVocabSize(true) }));
}
main().catch((e) => { console.error(e); process.exit(1); });
