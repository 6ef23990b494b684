#!/usr/bin/env node
// Reference ids from the real tiktoken (npm build of OpenAI's Rust core, compiled to WASM).
//
//   node tests/peers/tiktoken_encode.js [request.json] > ids.json
//
// Request (a file, or stdin when no file is given):
//   {"encoding": "cl100k_base", "docs": ["text", ...], "mode": "ordinary"}
//   mode: "ordinary" (encode_ordinary, the default) or "all" (encode with allowed_special="all").
//   Optional "docs_b64": [...] instead of "docs" carries documents as base64 UTF-8 (lone surrogates
//   cannot travel in JSON strings faithfully).
// Response (stdout): {"encoding": ..., "ids": [[...], ...], "seconds": <encode time>}
"use strict";
const fs = require("fs");
const path = require("path");

function main() {
  const raw = process.argv[2] && process.argv[2] !== "-" ? fs.readFileSync(process.argv[2], "utf8")
                                                          : fs.readFileSync(0, "utf8");
  const req = JSON.parse(raw);
  const { get_encoding } = require(path.join(__dirname, "node_modules", "tiktoken"));
  const enc = get_encoding(req.encoding);
  const docs = req.docs_b64 ? req.docs_b64.map((b) => Buffer.from(b, "base64").toString("utf8")) : req.docs;
  const mode = req.mode || "ordinary";
  const ids = [];
  const t0 = process.hrtime.bigint();
  for (const d of docs) {
    const out = mode === "all" ? enc.encode(d, "all") : enc.encode_ordinary(d);
    ids.push(Array.from(out));
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  enc.free();
  process.stdout.write(JSON.stringify({ encoding: req.encoding, ids, seconds }));
}

try {
  main();
} catch (e) {
  process.stderr.write(`tiktoken_encode.js: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
}
