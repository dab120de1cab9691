// The page "Your own image": the reader's image, prepared as torchvision prepares it (preprocess.js), run through
// this site's ResNet18 (assets/model/resnet18.onnx, the build's export) by onnxruntime-web, on WebAssembly, or on
// WebGPU where the browser has it; the most likely classes, and every stage and block in the explorer's own views
// (explorer.js, ResNetExplorer.show). The image never leaves the page: nothing is sent, only the model, its data
// file and the runtime are fetched, once, when the reader asks for them. Every number the page uses comes from
// model.json, which the build writes from torchvision's weights entry and the check compares with it.
(function () {
  "use strict";
  var root = document.querySelector("[data-own-image]");
  if (!root) return;
  var script = document.currentScript || document.querySelector('script[src*="own-image.js"]');
  var MODEL = new URL("../model/", script.src), RUNTIME = new URL("../ort/", script.src);
  var TOP = 5;  // the top-5 the page shows, as torchvision's accuracy is quoted
  var words = JSON.parse(root.getAttribute("data-words"));
  var message = document.querySelector("[data-role=message]"), start = document.querySelector("[data-role=start]");
  var progress = document.querySelector("[data-role=progress]"), preview = document.querySelector("[data-role=preview]");
  var inputs = Array.from(document.querySelectorAll("[data-role=file]")), drop = document.querySelector("[data-role=drop]");
  var state = {pixels: null, data: null, runtime: null, explorer: null};
  var api = globalThis.ResNetOwnImage = {result: null, backend: null};

  function say(key, values) {
    var text = words[key];
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
    message.textContent = text;
    message.dataset.message = key;
    return text;
  }
  function fail(key, values) {
    say(key, values);
    root.dataset.failed = key;
  }

  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    fail("no_wasm");
    inputs.forEach(function (input) { input.disabled = true; });
    return;
  }

  function json(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url.pathname + ": HTTP " + response.status);
      return response.json();
    });
  }
  function modelData() {
    if (!state.data) state.data = json(new URL("model.json", MODEL));
    return state.data;
  }

  // The file's pixels as RGB, drawn on white as the build blends a transparent image, in the file's own colours
  // (no colour management) and the orientation its EXIF says, as the build reads it.
  function accept(file) {
    if (!file) return;
    state.pixels = null;
    start.disabled = true;
    delete root.dataset.failed;
    Promise.all([modelData(), createImageBitmap(file, {imageOrientation: "from-image", premultiplyAlpha: "none",
                                                       colorSpaceConversion: "none"}).catch(function () { return null; })])
      .then(function (found) {
        var data = found[0], bitmap = found[1];
        if (!bitmap) return fail("undecodable");
        var count = bitmap.width * bitmap.height;
        if (count > data.max_pixels) {
          return fail("too_large", {pixels: ResNetExplorer.format(count), limit: ResNetExplorer.format(data.max_pixels)});
        }
        var canvas = document.createElement("canvas");
        canvas.width = bitmap.width; canvas.height = bitmap.height;
        var context = canvas.getContext("2d", {willReadFrequently: true});
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.drawImage(bitmap, 0, 0);
        var rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
        state.pixels = {rgb: ResNetPreprocess.rgbOf(rgba), width: canvas.width, height: canvas.height};
        start.disabled = false;
        say("chosen", {width: canvas.width, height: canvas.height});
      }, function (error) { fail("failed", {}); message.textContent += " " + error.message; });
  }
  inputs.forEach(function (input) { input.addEventListener("change", function () { accept(input.files[0]); }); });
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      event.preventDefault();
      if (type === "drop" && event.dataTransfer.files.length) accept(event.dataTransfer.files[0]);
    });
  });
  drop.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); inputs[0].click(); }
  });

  // A download whose bytes move the progress bar; the browser's cache keeps it for the next visit.
  function download(url, moved) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url.pathname + ": HTTP " + response.status);
      if (!response.body) return response.arrayBuffer();
      var reader = response.body.getReader(), chunks = [], length = 0;
      function next() {
        return reader.read().then(function (step) {
          if (step.done) {
            var whole = new Uint8Array(length), at = 0;
            chunks.forEach(function (chunk) { whole.set(chunk, at); at += chunk.length; });
            return whole.buffer;
          }
          chunks.push(step.value); length += step.value.length; moved(step.value.length);
          return next();
        });
      }
      return next();
    });
  }

  function backend() {
    var asked = new URLSearchParams(location.search).get("backend");
    if (asked === "wasm" || !navigator.gpu) return Promise.resolve("wasm");
    return navigator.gpu.requestAdapter().then(function (adapter) { return adapter ? "webgpu" : "wasm"; },
                                               function () { return "wasm"; });
  }

  // onnxruntime-web (its ES module, then its WebAssembly binary) and the model, both downloads on one bar.
  function runtime(data) {
    if (state.runtime) return state.runtime;
    state.runtime = backend().then(function (chosen) {
      var module = chosen === "webgpu" ? "ort.webgpu.min.mjs" : "ort.wasm.min.mjs";
      var binary = chosen === "webgpu" ? "ort-wasm-simd-threaded.asyncify.wasm" : "ort-wasm-simd-threaded.wasm";
      return import(new URL(module, RUNTIME).href).then(function (ort) {
        var total = data.bytes, done = 0;
        progress.hidden = false;
        function moved(bytes) {
          done += bytes;
          progress.max = total; progress.value = Math.min(done, total);
          say("loading", {done: ResNetExplorer.format(Math.round(done / 1e5) / 10),
                          total: ResNetExplorer.format(Math.round(total / 1e5) / 10)});
        }
        return fetch(new URL(binary, RUNTIME), {method: "HEAD"}).then(function (head) {
          total += Number(head.headers.get("content-length")) || 0;
          return Promise.all([download(new URL(binary, RUNTIME), moved), download(new URL(data.file, MODEL), moved)]);
        }).then(function (buffers) {
          ort.env.wasm.wasmPaths = RUNTIME.href;
          ort.env.wasm.wasmBinary = buffers[0];
          ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
          return ort.InferenceSession.create(new Uint8Array(buffers[1]), {executionProviders: [chosen]});
        }).then(function (session) {
          api.backend = chosen;
          return {ort: ort, session: session, backend: chosen};
        });
      });
    });
    state.runtime.catch(function () { state.runtime = null; });
    return state.runtime;
  }

  function drawPreview(cropped, size) {
    preview.width = size; preview.height = size;
    var context = preview.getContext("2d"), image = context.createImageData(size, size);
    for (var i = 0; i < size * size; i++) image.data.set([cropped[3 * i], cropped[3 * i + 1], cropped[3 * i + 2], 255], 4 * i);
    context.putImageData(image, 0, 0);
  }

  function showTop(logits, categories) {
    var largest = Math.max.apply(null, logits), sum = 0;
    var exp = Array.from(logits, function (value) { var e = Math.exp(value - largest); sum += e; return e; });
    var ranked = exp.map(function (e, i) { return [e / sum, i]; }).sort(function (a, b) { return b[0] - a[0]; });
    var list = document.querySelector("[data-role=top]");
    list.innerHTML = "";
    var percent = document.documentElement.lang === "es" ? "\u00a0%" : "%";
    ranked.slice(0, TOP).forEach(function (pair) {
      var item = document.createElement("li"), name = document.createElement("span");
      name.lang = "en"; name.textContent = categories[pair[1]];
      item.appendChild(name);
      item.appendChild(document.createTextNode(": " + ResNetExplorer.format(Math.round(pair[0] * 1000) / 10) + percent));
      item.dataset.index = pair[1];
      list.appendChild(item);
    });
  }

  // The outputs in the explorer's shape: stages conv1, maxpool and each layer (its last block's output), and every
  // block's shortcut (the projection, or the block's input), F(x) and output, in float32 straight from the runtime.
  function memorySource(outputs, names) {
    function tensor(name) { return {values: outputs[name].data, shape: outputs[name].dims.slice(1)}; }
    var blocks = names.filter(function (name) { return /\.output$/.test(name); }).map(function (name) { return name.slice(0, -7); });
    var previous = tensor("maxpool"), groups = [];
    blocks.forEach(function (block) {
      var shortcut = outputs[block + ".shortcut"] ? tensor(block + ".shortcut") : previous, output = tensor(block + ".output");
      groups.push({name: block, downsample: Boolean(outputs[block + ".shortcut"]), shape: output.shape,
                   tensors: [shortcut.values, tensor(block + ".residual").values, output.values]});
      previous = output;
    });
    var stages = [["conv1", tensor("conv1")], ["maxpool", tensor("maxpool")]];
    groups.forEach(function (group, i) {
      var layer = group.name.split(".")[0];
      if (i === groups.length - 1 || groups[i + 1].name.split(".")[0] !== layer) {
        stages.push([layer, {values: group.tensors[2], shape: group.shape}]);
      }
    });
    var index = {
      relative_error: Math.pow(2, -24), absolute_error: Math.pow(2, -150),  // one float32 rounding
      stages: stages.map(function (s) { return {name: s[0], shape: s[1].shape, tensors: [s[1].values]}; }),
      blocks: groups,
    };
    return {index: index, channel: function (group, role, c) {
      var height = group.shape[1], width = group.shape[2], size = height * width;
      var values = group.tensors[role].subarray(c * size, (c + 1) * size);
      return Promise.resolve({values: values, height: height, width: width, planes: 1, scale: 0});
    }};
  }

  start.addEventListener("click", function () {
    if (!state.pixels) return say("no_image");
    start.disabled = true;
    var pixels = state.pixels;
    modelData().then(function (data) {
      return runtime(data).then(function (loaded) {
        var prepared = ResNetPreprocess.preprocess(pixels.rgb, pixels.width, pixels.height, data.transforms);
        var size = data.transforms.crop_size;
        drawPreview(prepared.cropped, size);
        say("running", {backend: loaded.backend === "webgpu" ? "WebGPU" : "WebAssembly"});
        var feeds = {};
        feeds[data.input] = new loaded.ort.Tensor("float32", prepared.tensor, [1, 3, size, size]);
        var begun = performance.now();
        return loaded.session.run(feeds).then(function (outputs) {
          var seconds = (performance.now() - begun) / 1000;
          api.result = {tensor: prepared.tensor, cropped: prepared.cropped, seconds: seconds, outputs: {}};
          data.outputs.forEach(function (name) { api.result.outputs[name] = outputs[name].data; });
          showTop(outputs[data.outputs[0]].data, data.categories);
          var source = memorySource(outputs, data.outputs);
          var shown = root.explorerReplace ? root.explorerReplace(source) : ResNetExplorer.show(root, source);
          return shown.then(function () {
            say("done", {backend: loaded.backend === "webgpu" ? "WebGPU" : "WebAssembly",
                         seconds: ResNetExplorer.format(Math.round(seconds * 100) / 100)});
            root.dataset.done = String(Number(root.dataset.done || 0) + 1);
          });
        });
      });
    }).catch(function (error) {
      fail("failed");
      message.textContent += " " + (error && error.message ? error.message : String(error));
    }).then(function () { start.disabled = !state.pixels; });
  });
})();
