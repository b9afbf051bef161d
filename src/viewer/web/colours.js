// The page's colour scales: attention in blues, loss in reds, one colour per layer.

// 256-entry colour ramps through evenly spaced stops.
function ramp(stops) {
  const rgb = stops.map((h) => [1, 3, 5].map((k) => parseInt(h.slice(k, k + 2), 16)));
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const x = (i / 255) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k][c] * (1 - f) + rgb[k + 1][c] * f);
  }
  return lut;
}
// ColorBrewer Blues for attention, Reds for loss: sequential, white at zero.
export const BLUES = ramp(["#ffffff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]);
export const REDS = ramp(["#ffffff", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#99000d"]);
export const MASKED = [236, 238, 242]; // positions a query cannot attend to (the future)
const LAYER_COLOURS = ["#7f8797", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"];

export function layerColour(l) {
  return LAYER_COLOURS[l % LAYER_COLOURS.length];
}

export function lutColour(lut, v) {
  const i = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
  return `rgb(${lut[i]},${lut[i + 1]},${lut[i + 2]})`;
}

// White text on the dark end of either ramp.
export function inkOn(v) {
  return v > 0.62 ? "#fff" : "";
}

export function drawColourBar(canvas, lut) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let x = 0; x < canvas.width; x++) {
    const i = Math.round((x / (canvas.width - 1)) * 255) * 3;
    for (let y = 0; y < canvas.height; y++) {
      const o = (y * canvas.width + x) * 4;
      img.data[o] = lut[i];
      img.data[o + 1] = lut[i + 1];
      img.data[o + 2] = lut[i + 2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
