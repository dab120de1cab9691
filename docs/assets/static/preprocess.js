/* The weights' transforms, as torchvision applies them to a PIL image, in JavaScript: Resize (the short side to the
   transforms' size, PIL's bilinear filter with antialiasing), CenterCrop, ToTensor, Normalize.

   The resize is Pillow's own algorithm (libImaging/Resample.c), not a canvas: a separable triangle filter whose
   support grows with the downscale factor, its weights computed in double precision, turned into 22-bit fixed
   point, and applied to 8-bit pixels with integer sums, horizontal pass first, each pass rounded and clipped to
   8 bits. JavaScript numbers are doubles and every sum here is an integer below 2**31, so the resized pixels are
   PIL's exactly. ToTensor and Normalize are float32 in torch: each step is rounded to float32 here (Math.fround),
   and a double result of one +, −, × or ÷ of float32 values rounds to the float32 result (53 ≥ 2 × 24 + 2 bits),
   so the tensor is torch's bit for bit.

   No number of the transforms is written here: the sizes, mean and standard deviation come from the model's data
   file, which the build writes from torchvision's weights entry and the check compares with it. */
(function (root) {
  "use strict";

  const PRECISION_BITS = 32 - 8 - 2;  // Resample.c: room for 8-bit values times weights summed in an int32

  function triangle(x) {  // PIL's bilinear filter, support 1
    const distance = Math.abs(x);
    return distance < 1 ? 1 - distance : 0;
  }

  /* For each output pixel along one axis: the first input pixel, how many it reads, and their fixed-point weights
     (precompute_coeffs and normalize_coeffs_8bpc). */
  function coefficients(inSize, outSize) {
    const scale = inSize / outSize;
    const filterScale = Math.max(scale, 1);
    const support = filterScale;  // the triangle's support, 1, widened when shrinking: the antialiasing
    const kernelSize = Math.ceil(support) * 2 + 1;
    const reciprocal = 1 / filterScale;  // PIL multiplies by it: dividing instead rounds some weights otherwise
    const bounds = new Int32Array(outSize * 2);
    const weights = new Int32Array(outSize * kernelSize);
    const raw = new Float64Array(kernelSize);
    for (let out = 0; out < outSize; out++) {
      const center = (out + 0.5) * scale;
      const first = Math.max(0, Math.trunc(center - support + 0.5));
      const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
      let total = 0;
      for (let k = 0; k < count; k++) {
        raw[k] = triangle((k + first - center + 0.5) * reciprocal);
        total += raw[k];
      }
      for (let k = 0; k < count; k++) {
        const weight = total !== 0 ? raw[k] / total : raw[k];
        weights[out * kernelSize + k] = Math.trunc(weight < 0 ? -0.5 + weight * 2 ** PRECISION_BITS
                                                              : 0.5 + weight * 2 ** PRECISION_BITS);
      }
      bounds[out * 2] = first;
      bounds[out * 2 + 1] = count;
    }
    return { bounds, weights, kernelSize };
  }

  function clip8(sum) {
    if (sum >= 2 ** PRECISION_BITS * 256) return 255;
    if (sum <= 0) return 0;
    return Math.floor(sum / 2 ** PRECISION_BITS);
  }

  /* One pass over RGB pixels (3 bytes each) along x or y, into outWidth × outHeight; an x pass reads its rows from
     `offset` on, a y pass reads rows that start at `offset` in the original image (ImagingResampleHorizontal_8bpc,
     ImagingResampleVertical_8bpc). */
  function pass(pixels, inWidth, outWidth, outHeight, axis, taps, offset) {
    const result = new Uint8Array(outWidth * outHeight * 3);
    const half = 2 ** (PRECISION_BITS - 1);
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const along = axis === "x" ? x : y;
        const first = taps.bounds[along * 2];
        const count = taps.bounds[along * 2 + 1];
        const base = along * taps.kernelSize;
        for (let c = 0; c < 3; c++) {
          let sum = half;
          for (let k = 0; k < count; k++) {
            const source = axis === "x" ? ((y + offset) * inWidth + first + k) * 3 : ((first + k - offset) * inWidth + x) * 3;
            sum += pixels[source + c] * taps.weights[base + k];
          }
          result[(y * outWidth + x) * 3 + c] = clip8(sum);
        }
      }
    }
    return result;
  }

  /* Image.resize((outWidth, outHeight), Image.BILINEAR) of an RGB image (ImagingResampleInner, Pillow 13): a pass
     that keeps its axis's size is left out; the horizontal pass runs first, over only the rows the vertical pass will
     read, unless the height shrinks by more than twice as many pixels as the width, when the vertical pass runs first.
     The order changes the 8-bit rounding between the passes, so it is Pillow's exactly. */
  function resize(pixels, width, height, outWidth, outHeight) {
    if (outWidth === width && outHeight === height) return pixels.slice();
    const horizontalFirst = !(height - outHeight > 0 && height - outHeight > (width - outWidth) * 2);
    const vertical = coefficients(height, outHeight);
    const horizontal = coefficients(width, outWidth);
    let current = pixels;
    if (!horizontalFirst) {
      if (outHeight !== height) current = pass(current, width, width, outHeight, "y", vertical, 0);
      return outWidth !== width ? pass(current, width, outWidth, outHeight, "x", horizontal, 0) : current;
    }
    let offset = 0;
    if (outWidth !== width) {
      const firstRow = vertical.bounds[0];
      const lastRow = vertical.bounds[outHeight * 2 - 2] + vertical.bounds[outHeight * 2 - 1];
      current = pass(current, width, outWidth, lastRow - firstRow, "x", horizontal, firstRow);
      offset = firstRow;
    }
    return outHeight !== height ? pass(current, outWidth, outWidth, outHeight, "y", vertical, offset) : current;
  }

  /* torchvision's size for Resize(short): the short side becomes `short`, the long one int(short * long / short). */
  function resizedSize(width, height, short) {
    const [small, large] = width <= height ? [width, height] : [height, width];
    const longSide = Math.trunc(short * large / small);
    return width <= height ? [short, longSide] : [longSide, short];
  }

  function roundHalfEven(value) {  // Python's round(), which CenterCrop uses
    const floor = Math.floor(value);
    const fraction = value - floor;
    if (fraction !== 0.5) return Math.round(value);
    return floor % 2 === 0 ? floor : floor + 1;
  }

  /* CenterCrop(size) of an RGB image, padded with zeros first where it is smaller, as torchvision does. */
  function centerCrop(pixels, width, height, size) {
    const padLeft = width < size ? Math.trunc((size - width) / 2) : 0;
    const padTop = height < size ? Math.trunc((size - height) / 2) : 0;
    const paddedWidth = Math.max(width, size);
    const paddedHeight = Math.max(height, size);
    const top = roundHalfEven((paddedHeight - size) / 2);
    const left = roundHalfEven((paddedWidth - size) / 2);
    const result = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      const sourceY = y + top - padTop;
      if (sourceY < 0 || sourceY >= height) continue;
      for (let x = 0; x < size; x++) {
        const sourceX = x + left - padLeft;
        if (sourceX < 0 || sourceX >= width) continue;
        for (let c = 0; c < 3; c++) result[(y * size + x) * 3 + c] = pixels[(sourceY * width + sourceX) * 3 + c];
      }
    }
    return result;
  }

  /* ToTensor and Normalize: channels first, value / 255, minus the mean, over the standard deviation, in float32. */
  function normalise(pixels, size, mean, std) {
    const tensor = new Float32Array(3 * size * size);
    const means = mean.map(Math.fround);
    const stds = std.map(Math.fround);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < size * size; i++) {
        const unit = Math.fround(pixels[i * 3 + c] / 255);
        tensor[c * size * size + i] = Math.fround(Math.fround(unit - means[c]) / stds[c]);
      }
    }
    return tensor;
  }

  /* RGBA (as a canvas or ImageData gives it, alpha ignored: the page draws on white first) to RGB. */
  function rgbOf(rgba) {
    const rgb = new Uint8Array((rgba.length / 4) * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
      rgb[j] = rgba[i];
      rgb[j + 1] = rgba[i + 1];
      rgb[j + 2] = rgba[i + 2];
    }
    return rgb;
  }

  /* The whole transform: RGB pixels of width × height to the model's input, with the cropped 8-bit picture. */
  function preprocess(rgb, width, height, transforms) {
    const [resizedWidth, resizedHeight] = resizedSize(width, height, transforms.resize_size);
    const resized = resize(rgb, width, height, resizedWidth, resizedHeight);
    const cropped = centerCrop(resized, resizedWidth, resizedHeight, transforms.crop_size);
    return { cropped, tensor: normalise(cropped, transforms.crop_size, transforms.mean, transforms.std) };
  }

  root.ResNetPreprocess = { coefficients, resize, resizedSize, centerCrop, normalise, rgbOf, preprocess };
})(globalThis);
