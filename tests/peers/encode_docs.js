// Encodes a file of documents with a reference tokenizer, inside one node process, and reports the
// time spent encoding only (start-up, file reading and UTF-8 decoding are excluded).
//
//   node encode_docs.js --peer tiktoken --encoding cl100k_base --in docs.bin [--out ids.bin]
//                       [--mode ordinary|all] [--repeat N] [--deadline-s S]
//   node encode_docs.js --peer tiktoken --ranks FILE.tiktoken --spec-json SPEC.json --in docs.bin ...
//        (a custom encoding: SPEC.json = {"pat_str": ..., "special_tokens": {...}})
//   node encode_docs.js --peer hf --tokenizer-json tok.json --in docs.bin [--batch] [--repeat N]
//
// docs.bin: u32 n, then n times (u32 byte length, UTF-8 bytes). Little-endian.
// ids.bin (--out): n times (u32 count, count u32 ids).
// stdout: one JSON line {peer, docs, bytes, tokens, seconds: [per repeat], timed_out}.
// --deadline-s stops after the document that crosses the deadline (timed_out: true, bytes/tokens
// count only what was encoded), so a pathological input cannot hang a benchmark.
"use strict";
const fs = require("fs");
const path = require("path");

function args(argv) {
  const out = { mode: "ordinary", repeat: 1, batch: false };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, "");
    if (k === "batch") out.batch = true;
    else out[k.replace(/-/g, "_")] = argv[++i];
  }
  return out;
}

function readDocs(file) {
  const buf = fs.readFileSync(file);
  const n = buf.readUInt32LE(0);
  const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });  // keep a leading U+FEFF: it is text
  const docs = [];
  let bytes = 0;
  for (let i = 0, p = 4; i < n; i++) {
    const len = buf.readUInt32LE(p);
    p += 4;
    docs.push(dec.decode(buf.subarray(p, p + len)));
    p += len;
    bytes += len;
  }
  return { docs, bytes };
}

function writeIds(file, all) {
  let total = 0;
  for (const ids of all) total += 1 + ids.length;
  const out = new Uint32Array(total);
  let p = 0;
  for (const ids of all) {
    out[p++] = ids.length;
    out.set(ids, p);
    p += ids.length;
  }
  fs.writeFileSync(file, Buffer.from(out.buffer));
}

async function main() {
  const a = args(process.argv);
  const { docs, bytes } = readDocs(a.in);
  const deadline = a.deadline_s ? Number(a.deadline_s) : Infinity;
  const repeat = Number(a.repeat);
  let encodeOne, encodeAll = null, free = () => {};
  if (a.peer === "tiktoken") {
    const { get_encoding, Tiktoken } = require(path.join(__dirname, "node_modules", "tiktoken"));
    let enc;
    if (a.ranks) {
      const spec = JSON.parse(fs.readFileSync(a.spec_json, "utf8"));
      enc = new Tiktoken(fs.readFileSync(a.ranks, "utf8"), spec.special_tokens, spec.pat_str);
    } else {
      enc = get_encoding(a.encoding);
    }
    encodeOne = a.mode === "all" ? (t) => enc.encode(t, "all") : (t) => enc.encode_ordinary(t);
    free = () => enc.free();
  } else if (a.peer === "hf") {
    const { Tokenizer } = require(path.join(__dirname, "node_modules", "tokenizers"));
    const tok = Tokenizer.fromFile(a.tokenizer_json);
    encodeOne = async (t) => (await tok.encode(t)).getIds();
    if (a.batch) encodeAll = async (ts) => (await tok.encodeBatch(ts)).map((e) => e.getIds());
  } else {
    throw new Error("--peer tiktoken|hf");
  }
  const seconds = [];
  let result = [], doneBytes = 0, timedOut = false;
  for (let r = 0; r < repeat; r++) {
    result = [];
    doneBytes = 0;
    const t0 = process.hrtime.bigint();
    if (encodeAll) {
      result = await encodeAll(docs);
      doneBytes = bytes;
    } else {
      for (const d of docs) {
        result.push(await encodeOne(d));
        doneBytes += Buffer.byteLength(d, "utf8");
        if (Number(process.hrtime.bigint() - t0) / 1e9 > deadline) { timedOut = doneBytes < bytes; break; }
      }
    }
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (timedOut) break;
  }
  let tokens = 0;
  for (const ids of result) tokens += ids.length;
  if (a.out) writeIds(a.out, result);
  free();
  process.stdout.write(JSON.stringify({ peer: a.peer, docs: result.length, bytes: doneBytes, tokens, seconds,
                                        timed_out: timedOut }) + "\n");
}

main().catch((e) => { console.error(e && e.stack || String(e)); process.exit(1); });
