// Runs docs/assets/static/preprocess.js in node on raw RGB images: the test (tests/test_preprocess_js.py) compares
// what it gives with torchvision's transforms on PIL. Reads from stdin a JSON object {transforms, images: [{width,
// height, rgb: base64}]}; writes one JSON object per image: the cropped 8-bit picture and the float32 tensor, base64.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

vm.runInThisContext(fs.readFileSync(path.join(__dirname, "..", "..", "docs", "assets", "static", "preprocess.js"), "utf8"));
const request = JSON.parse(fs.readFileSync(0, "utf8"));
const results = request.images.map((image) => {
  const rgb = new Uint8Array(Buffer.from(image.rgb, "base64"));
  const { cropped, tensor } = globalThis.ResNetPreprocess.preprocess(rgb, image.width, image.height, request.transforms);
  return {
    cropped: Buffer.from(cropped).toString("base64"),
    tensor: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength).toString("base64"),
  };
});
process.stdout.write(JSON.stringify(results));
