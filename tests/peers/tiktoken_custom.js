#!/usr/bin/env node
// Ids from the real tiktoken (npm, OpenAI's Rust core as WASM) for a rank file of our own.
//
//   node tests/peers/tiktoken_custom.js request.json > ids.json
//
// Request: {"ranks_file": "tok.tiktoken", "pat_str": "...", "special_tokens": {"<|bos|>": 4096},
//           "docs": ["text", ...], "mode": "ordinary" | "all"}
// Response: {"ids": [[...], ...], "n_vocab": ..., "seconds": <encode time>}
"use strict";
const fs = require("fs");
const path = require("path");

function main() {
  const req = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const { Tiktoken } = require(path.join(__dirname, "node_modules", "tiktoken"));
  // The WASM core reads the .tiktoken text ("base64 rank" lines) as is.
  const enc = new Tiktoken(fs.readFileSync(req.ranks_file, "utf8"), req.special_tokens || {}, req.pat_str);
  const ids = [];
  const t0 = process.hrtime.bigint();
  for (const d of req.docs) ids.push(Array.from(req.mode === "all" ? enc.encode(d, "all") : enc.encode_ordinary(d)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  enc.free();
  process.stdout.write(JSON.stringify({ ids, seconds }));
}

try {
  main();
} catch (e) {
  process.stderr.write(`tiktoken_custom.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
