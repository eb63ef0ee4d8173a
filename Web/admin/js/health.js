// Tick health plots: which samples feed which plot, and drawing them all in one animation frame.

import { Series, drawPlot } from "./plot.js";
import { formatBytes, formatNumber, setText } from "./dom.js";

/** @typedef {import("./api.js").Status} Status */

/**
 * @typedef {object} PlotSpec
 * @property {string} key value of the figure's data-plot attribute
 * @property {{label: string, color: string, metric: string}[]} lines metric names in /metrics
 * @property {(values: number[]) => string} latest text shown beside the title
 * @property {number} floorMax smallest top of the value axis
 */

const ms = (/** @type {number} */ v) => `${formatNumber(v, v < 10 ? 2 : 1)} ms`;

/** @type {PlotSpec[]} */
const specs = [
  {
    key: "rate",
    lines: [{ label: "ticks/s", color: "#4fe3ff", metric: "tick_engine_actual_rate" }],
    latest: ([rate]) => `${formatNumber(rate, 2)} Hz`,
    floorMax: 1,
  },
  {
    key: "durations",
    lines: [
      { label: "total", color: "#d7e2f4", metric: "tick_engine_total_duration_ms" },
      { label: "bodies", color: "#4f8fe8", metric: "physics_bodies_duration_ms" },
      { label: "ships", color: "#5ee08f", metric: "physics_ships_duration_ms" },
      { label: "automation", color: "#ffb347", metric: "tick_engine_automation_duration_ms" },
    ],
    latest: ([total]) => `${ms(total)} total`,
    floorMax: 1,
  },
  {
    key: "behind",
    lines: [{ label: "tick intervals", color: "#ff6b6b", metric: "tick_engine_ticks_behind" }],
    latest: ([behind]) => formatNumber(behind, 0),
    floorMax: 1,
  },
  {
    key: "automation",
    lines: [
      { label: "step ms", color: "#ffb347", metric: "tick_engine_automation_duration_ms" },
      { label: "active maneuvers", color: "#c792ea", metric: "automation_active_maneuvers" },
    ],
    latest: ([cost, active]) => `${ms(cost)} · ${formatNumber(active, 0)} active`,
    floorMax: 1,
  },
  {
    key: "connections",
    lines: [{ label: "WebSockets", color: "#5ee08f", metric: "galaxy_connections_active" }],
    latest: ([open]) => formatNumber(open, 0),
    floorMax: 5,
  },
  {
    key: "broadcast-bytes",
    lines: [{ label: "bytes per broadcast", color: "#4fe3ff", metric: "galaxy_broadcast_message_bytes" }],
    latest: ([bytes]) => formatBytes(bytes),
    floorMax: 1024,
  },
  {
    key: "broadcast-time",
    lines: [{ label: "encode and queue ms", color: "#ffb347", metric: "galaxy_broadcast_duration_ms" }],
    latest: ([time]) => ms(time),
    floorMax: 1,
  },
  {
    key: "queue",
    lines: [{ label: "commands waiting", color: "#4f8fe8", metric: "tick_engine_command_queue_depth" }],
    latest: ([depth]) => formatNumber(depth, 0),
    floorMax: 5,
  },
];

/** One plot on the page with its series. */
class Plot {
  /**
   * @param {PlotSpec} spec
   * @param {HTMLElement} figure
   */
  constructor(spec, figure) {
    this.spec = spec;
    this.canvas = /** @type {HTMLCanvasElement} */ (figure.querySelector("canvas"));
    this.latest = /** @type {HTMLElement} */ (figure.querySelector("[data-latest]"));
    this.series = spec.lines.map((line) => new Series(line.label, line.color));
    const legend = /** @type {HTMLElement} */ (figure.querySelector(".legend"));
    for (const line of spec.lines) {
      const item = document.createElement("li");
      const swatch = document.createElement("i");
      swatch.style.background = line.color;
      item.append(swatch, document.createTextNode(line.label));
      legend.append(item);
    }
  }
}

/** The set of plots, fed one sample per poll and redrawn in at most one pending animation frame. */
export class HealthPlots {
  constructor() {
    /** @type {Plot[]} */
    this.plots = specs.map((spec) => {
      const figure = document.querySelector(`[data-plot="${spec.key}"]`);
      if (!(figure instanceof HTMLElement)) throw new Error(`missing plot ${spec.key} in admin/index.html`);
      return new Plot(spec, figure);
    });
    this.framePending = false;
    window.addEventListener("resize", () => this.requestDraw());
  }

  /**
   * Records one sample of every line. A metric missing from the scrape is stored as NaN, which
   * leaves a gap in its line.
   * @param {number} timeMs
   * @param {Map<string, number>} metrics
   */
  record(timeMs, metrics) {
    for (const plot of this.plots) {
      const values = plot.spec.lines.map((line) => metrics.get(line.metric) ?? NaN);
      values.forEach((value, i) => plot.series[i].push(timeMs, value));
      setText(plot.latest, plot.spec.latest(values));
    }
    this.requestDraw();
  }

  /** Records a gap in every line, for a failed poll. */
  recordGap() {
    this.record(Date.now(), new Map());
  }

  requestDraw() {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      const now = Date.now();
      for (const plot of this.plots) drawPlot(plot.canvas, plot.series, now, plot.spec.floorMax);
    });
  }
}
