// The explorer page: this run's tensors, read from the build's float16 files (explorer-data/index.json says
// which file holds which channels), one file per selection, drawn pixel for pixel. Every value a reader can
// point at is also written as text in a live region, so it can be read without seeing the canvas.
// The same views show the reader's own image (own-image.js): globalThis.ResNetExplorer.show(root, source) draws
// the page's views from any source of the same shape, {index, channel(group, role, c)}, here one held in memory;
// root holds the page's words.
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="explorer.js"]');
  var DATA = new URL("../../explorer-data/", script.src);
  var files = new Map();

  function half(bits) {
    var sign = bits & 0x8000 ? -1 : 1, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
    if (exponent === 0) return sign * fraction * Math.pow(2, -24);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }

  function load(entry) {
    if (!files.has(entry.file)) {
      files.set(entry.file, fetch(new URL(entry.file, DATA)).then(function (response) {
        if (!response.ok) throw new Error(entry.file + ": HTTP " + response.status);
        return response.arrayBuffer();
      }).then(function (buffer) {
        var view = new DataView(buffer), values = new Float64Array(buffer.byteLength / 2), scale = Math.pow(2, entry.scale);
        for (var i = 0; i < values.length; i++) values[i] = half(view.getUint16(2 * i, true)) * scale;
        return values;
      }));
    }
    return files.get(entry.file);
  }

  // One channel of a tensor (role: which of the file's tensors), as {values, height, width, scale}.
  function fileChannel(group, role, c) {
    var entry = group.files.find(function (f) { return c >= f.channels[0] && c < f.channels[1]; });
    var height = group.shape[group.shape.length - 2], width = group.shape[group.shape.length - 1];
    var size = height * width, count = entry.channels[1] - entry.channels[0];
    var planes = group.shape.length === 4 ? group.shape[1] : 1;  // filters: three input channels per filter
    return load(entry).then(function (values) {
      var start = (role * count + (c - entry.channels[0])) * size * planes;
      return {values: values.subarray(start, start + size * planes), height: height, width: width, planes: planes,
              scale: entry.scale};
    });
  }

  var STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];  // viridis, sampled
  function colour(t) {
    t = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
    var i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i;
    return STOPS[i].map(function (a, k) { return Math.round(a + (STOPS[i + 1][k] - a) * f); });
  }

  function range(arrays) {
    var low = Infinity, high = -Infinity;
    arrays.forEach(function (a) { for (var i = 0; i < a.length; i++) { if (a[i] < low) low = a[i]; if (a[i] > high) high = a[i]; } });
    return high > low ? [low, high] : [low - 1, high + 1];
  }

  function draw(canvas, map, scale) {
    canvas.width = map.width; canvas.height = map.height;
    var context = canvas.getContext("2d"), image = context.createImageData(map.width, map.height);
    for (var i = 0; i < map.width * map.height; i++) {
      var rgb = colour((map.values[i] - scale[0]) / (scale[1] - scale[0]));
      image.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
    }
    context.putImageData(image, 0, 0);
  }

  function legend(element, scale) {
    var gradient = STOPS.map(function (s, i) { return "rgb(" + s.join(",") + ") " + (100 * i / (STOPS.length - 1)) + "%"; });
    element.querySelector(".explorer-bar").style.background = "linear-gradient(to right," + gradient.join(",") + ")";
    element.querySelector("[data-role=low]").textContent = format(scale[0]);
    element.querySelector("[data-role=high]").textContent = format(scale[1]);
  }

  // Six significant digits (more than float16 holds), in the typography of the page's language, as the pages
  // write their numbers (README, "Two languages"): its decimal mark, the minus sign U+2212, an exact zero as 0,
  // and a number too small or large to write out in its scientific notation (1.5 × 10⁻⁷, 1,5·10⁻⁷), never in
  // JavaScript's e-notation (1.5e-7, which the Spanish decimal mark would make 1,5e-7).
  var SPANISH = document.documentElement.lang === "es";
  var DECIMAL = SPANISH ? "," : ".", TIMES_TEN = SPANISH ? "·10" : " × 10", MINUS = "\u2212";
  var SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
  function format(value) {
    if (value === 0) return "0";
    var parts = Number(value.toPrecision(6)).toString().split("e");
    var mantissa = parts[0].replace(".", DECIMAL).replace("-", MINUS);
    if (parts.length === 1) return mantissa;
    return mantissa + TIMES_TEN + parts[1].replace("+", "").replace("-", "⁻").replace(/[0-9]/g, function (digit) {
      return SUPERSCRIPTS[Number(digit)];
    });
  }

  // A pixel cursor moved by pointer, touch or arrow keys over any of the given canvases, and outlined on each.
  function cursor(canvases, size, show) {
    var at = {row: 0, col: 0};
    var marks = canvases.map(function (canvas) {
      var frame = document.createElement("div"), mark = document.createElement("span");
      frame.className = "explorer-frame"; mark.className = "explorer-cursor"; mark.setAttribute("aria-hidden", "true");
      canvas.parentNode.insertBefore(frame, canvas); frame.appendChild(canvas); frame.appendChild(mark);
      return mark;
    });
    function place(row, col) {
      var s = size();
      at.row = Math.min(s[0] - 1, Math.max(0, row)); at.col = Math.min(s[1] - 1, Math.max(0, col));
      marks.forEach(function (mark) {
        mark.style.top = 100 * at.row / s[0] + "%"; mark.style.left = 100 * at.col / s[1] + "%";
        mark.style.height = 100 / s[0] + "%"; mark.style.width = 100 / s[1] + "%";
      });
      show(at.row, at.col);
    }
    canvases.forEach(function (canvas) {
      function fromEvent(event) {
        var box = canvas.getBoundingClientRect(), s = size();
        place(Math.floor((event.clientY - box.top) / box.height * s[0]), Math.floor((event.clientX - box.left) / box.width * s[1]));
      }
      canvas.addEventListener("pointermove", fromEvent);
      canvas.addEventListener("pointerdown", fromEvent);
      canvas.addEventListener("keydown", function (event) {
        var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};
        if (!moves[event.key]) return;
        event.preventDefault();
        place(at.row + moves[event.key][0], at.col + moves[event.key][1]);
      });
    });
    return {place: place, at: at};
  }

  // A channel chooser: slider and number field kept together; returns a setter for its range.
  function chooser(view, changed) {
    var slider = view.querySelector("[data-role=channel-range]"), number = view.querySelector("[data-role=channel-number]");
    function set(value) {
      var c = Math.min(Number(slider.max), Math.max(0, Math.round(Number(value) || 0)));
      slider.value = c; number.value = c; changed(c);
    }
    slider.addEventListener("input", function () { set(slider.value); });
    number.addEventListener("change", function () { set(number.value); });
    slider.min = number.min = slider.value = number.value = 0;  // a range input starts halfway otherwise
    return {
      limit: function (channels) {
        slider.max = number.max = channels - 1;
        if (Number(slider.value) > channels - 1) slider.value = number.value = channels - 1;
      },
      value: function () { return Number(slider.value); }, set: set,
    };
  }

  function fill(select, names) {
    select.innerHTML = "";
    names.forEach(function (name) { var option = document.createElement("option"); option.value = option.textContent = name; select.appendChild(option); });
  }

  // The stage, block and filter views inside root, drawn from source.index and source.channel.
  function show(root, source) {
    var index = source.index, channel = source.channel, updates = [];
    var words = JSON.parse(root.getAttribute("data-words"));
    function stageView(view) {
      var select = view.querySelector("[data-role=stage]"), canvas = view.querySelector("canvas");
      var readout = view.querySelector("[data-role=readout]"), map = null;
      fill(select, index.stages.map(function (s) { return s.name; }));
      var group = function () { return index.stages[select.selectedIndex]; };
      var pointer = cursor([canvas], function () { return group().shape.slice(1); }, function (row, col) {
        if (!map) return;
        var value = map.values[row * map.width + col];
        readout.dataset.row = row; readout.dataset.col = col; readout.dataset.value = value;
        readout.textContent = words.pixel.replace("{name}", group().name).replace("{channel}", picker.value())
          .replace("{row}", row).replace("{col}", col).replace("{value}", format(value));
      });
      function update() {
        var g = group(), c = picker.value();
        return channel(g, 0, c).then(function (found) {
          if (g !== group() || c !== picker.value()) return;
          map = found; var scale = range([found.values]);
          draw(canvas, found, scale); legend(view, scale); pointer.place(pointer.at.row, pointer.at.col);
          view.dataset.ready = g.name + ":" + c;
        });
      }
      var picker = chooser(view, update);
      updates.push(update);
      select.addEventListener("change", function () { picker.limit(group().shape[0]); update(); });
      picker.limit(group().shape[0]);
      return update();
    }

    function blockView(view) {
      var select = view.querySelector("[data-role=block]"), canvases = Array.from(view.querySelectorAll("canvas"));
      var outputs = {}, maps = null;
      view.querySelectorAll("output[data-role]").forEach(function (o) { outputs[o.dataset.role] = o; });
      fill(select, index.blocks.map(function (b) { return b.name; }));
      var group = function () { return index.blocks[select.selectedIndex]; };
      var pointer = cursor(canvases, function () { return group().shape.slice(1); }, function (row, col) {
        if (!maps) return;
        var i = row * maps.width + col, s = maps.shortcut[i], f = maps.residual[i], out = maps.output[i];
        var sum = s + f, relu = Math.max(0, sum), difference = Math.abs(relu - out);
        var bound = index.relative_error * (Math.abs(s) + Math.abs(f) + Math.abs(out)) + 3 * index.absolute_error * Math.pow(2, maps.scale);
        var shown = {shortcut: s, residual: f, sum: sum, relu: relu, output: out, difference: difference, bound: bound};
        Object.keys(shown).forEach(function (key) { outputs[key].value = format(shown[key]); outputs[key].dataset.value = shown[key]; });
        outputs.position.value = words.position.replace("{row}", row).replace("{col}", col);
        outputs.verdict.value = difference <= bound ? words.within : words.beyond;
        view.dataset.row = row; view.dataset.col = col;
      });
      function update() {
        var g = group(), c = picker.value();
        return Promise.all([0, 1, 2].map(function (role) { return channel(g, role, c); })).then(function (found) {
          if (g !== group() || c !== picker.value()) return;
          var shortcut = found[0].values, residual = found[1].values, sum = shortcut.map(function (v, i) { return v + residual[i]; });
          var relu = sum.map(function (v) { return Math.max(0, v); });
          maps = {shortcut: shortcut, residual: residual, output: found[2].values, width: found[0].width, scale: found[0].scale};
          var scale = range([shortcut, residual, sum, relu]);
          [shortcut, residual, sum, relu].forEach(function (values, k) { draw(canvases[k], {values: values, width: found[0].width, height: found[0].height}, scale); });
          legend(view, scale);
          view.querySelector("[data-role=shortcut-name]").textContent = g.downsample ? words.projection : words.identity;
          pointer.place(pointer.at.row, pointer.at.col);
          view.dataset.ready = g.name + ":" + c;
        });
      }
      var picker = chooser(view, update);
      updates.push(update);
      select.addEventListener("change", function () { picker.limit(group().shape[0]); update(); });
      picker.limit(group().shape[0]);
      return update();
    }

    function filterView(view) {
      var canvases = view.querySelectorAll("canvas"), readout = view.querySelector("[data-role=readout]");
      var stage = index.stages.find(function (s) { return s.name === index.filters.name; }), map = null;
      var pointer = cursor([canvases[1]], function () { return stage.shape.slice(1); }, function (row, col) {
        if (!map) return;
        var value = map.values[row * map.width + col];
        readout.dataset.value = value;
        readout.textContent = words.pixel.replace("{name}", stage.name).replace("{channel}", picker.value())
          .replace("{row}", row).replace("{col}", col).replace("{value}", format(value));
      });
      function update() {
        var c = picker.value();
        return Promise.all([channel(index.filters, 0, c), channel(stage, 0, c)]).then(function (found) {
          if (c !== picker.value()) return;
          var filter = found[0], size = filter.height * filter.width, low = Infinity, high = -Infinity;
          filter.values.forEach(function (v) { low = Math.min(low, v); high = Math.max(high, v); });
          canvases[0].width = filter.width; canvases[0].height = filter.height;
          var context = canvases[0].getContext("2d"), image = context.createImageData(filter.width, filter.height);
          for (var i = 0; i < size; i++) {
            for (var k = 0; k < 3; k++) image.data[4 * i + k] = Math.round(255 * (filter.values[k * size + i] - low) / ((high - low) || 1));
            image.data[4 * i + 3] = 255;
          }
          context.putImageData(image, 0, 0);
          map = found[1]; var scale = range([map.values]);
          draw(canvases[1], map, scale); legend(view, scale); pointer.place(pointer.at.row, pointer.at.col);
          view.dataset.ready = "filter:" + c;
        });
      }
      var picker = chooser(view, update);
      updates.push(update);
      picker.limit(index.filters.shape[0]);
      return update();
    }

    // Another source of the same shapes (the reader's next image) redraws the views where they are.
    root.explorerReplace = function (next) {
      index = next.index; channel = next.channel;
      return Promise.all(updates.map(function (update) { return update(); }));
    };
    var views = {stage: stageView, block: blockView, filter: filterView};
    return Promise.all(Array.from(document.querySelectorAll("[data-view]")).map(function (view) { return views[view.dataset.view](view); }))
      .then(function () { root.dataset.ready = "true"; }, function (error) {
        document.querySelectorAll("[data-role=status]").forEach(function (s) { s.textContent = words.failed + " " + error.message; });
        throw error;
      });
  }
  globalThis.ResNetExplorer = {show: show, format: format};
  var root = document.querySelector("[data-explorer]:not([data-own-image])");
  if (!root) return;
  fetch(new URL("index.json", DATA)).then(function (response) {
    if (!response.ok) throw new Error("index.json: HTTP " + response.status);
    return response.json();
  }).then(function (found) {
    return show(root, {index: found, channel: fileChannel});
  }).catch(function (error) {
    var words = JSON.parse(root.getAttribute("data-words"));
    document.querySelectorAll("[data-role=status]").forEach(function (s) { if (!s.textContent) s.textContent = words.failed + " " + error.message; });
  });
})();
