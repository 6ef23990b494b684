#!/usr/bin/env node
// Writes a standard .tiktoken rank file ("base64(token) rank" per line, rank order) for one of the
// encodings bundled in the npm tiktoken package, and prints its pattern and special tokens as JSON.
//
//   node tests/peers/tiktoken_ranks.js cl100k_base /tmp/cl100k_base.tiktoken
//   -> stdout: {"name": ..., "pat_str": ..., "special_tokens": {...}, "explicit_n_vocab": ..., "n_ranks": ...}
"use strict";
const fs = require("fs");
const path = require("path");

const [name, out] = process.argv.slice(2);
if (!name || !out) {
  process.stderr.write("usage: tiktoken_ranks.js <encoding> <out.tiktoken>\n");
  process.exit(2);
}
const j = require(path.join(__dirname, "node_modules", "tiktoken", "encoders", `${name}.json`));
// The package stores ranks compactly: each line is "<marker> <first rank> <b64> <b64> ...", with
// consecutive ranks (this is how the package's own loader reads it; the marker is ignored).
const lines = [];
for (const line of j.bpe_ranks.split("\n")) {
  if (!line) continue;
  const [, offsetStr, ...tokens] = line.split(" ");
  const offset = Number.parseInt(offsetStr, 10);
  tokens.forEach((t, i) => lines.push(`${t} ${offset + i}`));
}
fs.writeFileSync(out, lines.join("\n") + "\n");
process.stdout.write(JSON.stringify({
  name, pat_str: j.pat_str, special_tokens: j.special_tokens,
  explicit_n_vocab: j.explicit_n_vocab ?? null, n_ranks: lines.length,
}));
