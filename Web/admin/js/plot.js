// Time series kept for a fixed window and drawn as small line plots on a canvas.

/** Seconds of history each series keeps and each plot shows. */
export const windowSeconds = 300;

/** Samples of one quantity over time, oldest first, trimmed to the last `windowSeconds`. */
export class Series {
  /**
   * @param {string} label
   * @param {string} color CSS color of the line
   */
  constructor(label, color) {
    this.label = label;
    this.color = color;
    /** @type {number[]} wall-clock times, ms since the Unix epoch */
    this.times = [];
    /** @type {number[]} */
    this.values = [];
  }

  /**
   * @param {number} timeMs
   * @param {number} value
   */
  push(timeMs, value) {
    this.times.push(timeMs);
    this.values.push(value);
    const oldest = timeMs - windowSeconds * 1000;
    let drop = 0;
    while (drop < this.times.length && this.times[drop] < oldest) drop += 1;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.values.splice(0, drop);
    }
  }
}

/**
 * Rounds a maximum up to 1, 2 or 5 times a power of ten so that axis labels stay readable.
 * @param {number} value
 */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

/**
 * @param {number} value
 * @returns {string}
 */
export function formatAxis(value) {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  if (value >= 10) return String(Math.round(value));
  return String(+value.toFixed(2));
}

/**
 * Draws the series of one plot: a grid, the value axis from 0 to a rounded maximum, and one line
 * each over the last `windowSeconds` ending at `nowMs`. The canvas backing store follows its CSS
 * size times devicePixelRatio.
 * @param {HTMLCanvasElement} canvas
 * @param {Series[]} series
 * @param {number} nowMs
 * @param {number} [floorMax] smallest top of the value axis, so that a flat line near 0 stays low
 */
export function drawPlot(canvas, series, nowMs, floorMax = 0) {
  const ratio = window.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth;
  const cssHeight = canvas.clientHeight;
  if (cssWidth === 0 || cssHeight === 0) return;
  const width = Math.round(cssWidth * ratio);
  const height = Math.round(cssHeight * ratio);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, cssWidth, cssHeight);

  let maximum = floorMax;
  for (const s of series) {
    for (const v of s.values) if (Number.isFinite(v) && v > maximum) maximum = v;
  }
  const top = niceCeiling(maximum);
  const left = 34;
  const plotWidth = cssWidth - left - 4;
  const plotHeight = cssHeight - 16;
  const startMs = nowMs - windowSeconds * 1000;

  context.font = "10px system-ui, sans-serif";
  context.textBaseline = "middle";
  context.textAlign = "right";
  context.lineWidth = 1;
  for (let i = 0; i <= 2; i += 1) {
    const y = 4 + plotHeight * (i / 2);
    context.strokeStyle = "rgba(110, 160, 230, 0.14)";
    context.beginPath();
    context.moveTo(left, Math.round(y) + 0.5);
    context.lineTo(left + plotWidth, Math.round(y) + 0.5);
    context.stroke();
    context.fillStyle = "#7f90ab";
    context.fillText(formatAxis(top * (1 - i / 2)), left - 5, y);
  }
  context.textAlign = "left";
  context.textBaseline = "alphabetic";
  context.fillText(`−${windowSeconds / 60} min`, left, cssHeight - 1);
  context.textAlign = "right";
  context.fillText("now", left + plotWidth, cssHeight - 1);

  context.lineWidth = 1.5;
  context.lineJoin = "round";
  for (const s of series) {
    context.strokeStyle = s.color;
    context.beginPath();
    let started = false;
    for (let i = 0; i < s.values.length; i += 1) {
      const v = s.values[i];
      if (!Number.isFinite(v)) {
        started = false;
        continue;
      }
      const x = left + ((s.times[i] - startMs) / (windowSeconds * 1000)) * plotWidth;
      const y = 4 + plotHeight * (1 - Math.min(v, top) / top);
      if (started) context.lineTo(x, y);
      else context.moveTo(x, y);
      started = true;
    }
    context.stroke();
  }
}
