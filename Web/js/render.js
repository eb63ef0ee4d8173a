// Canvas drawing of bodies, ships, orbits and labels, projected onto the ecliptic plane with an
// optional user rotation, at a logarithmic zoom.

import { anomalyRange, conicFromState, conicPoint, norm, rotate, sub } from "./orbit.js";

/** @typedef {import("./orbit.js").Vec3} Vec3 */
/** @typedef {import("./orbit.js").Conic} Conic */
/** @typedef {import("./state.js").WorldState} WorldState */
/** @typedef {import("./state.js").Ship} Ship */

/** @typedef {{body: string} | {ship: number}} Focus */

/**
 * @typedef {object} Camera
 * @property {Focus} focus
 * @property {number} zoomLog log10 of metres per CSS pixel shown now
 * @property {number} targetZoomLog the zoom the view eases toward
 * @property {number} yaw rotation about the ecliptic pole, radians
 * @property {number} pitch tilt away from looking down the pole, radians
 * @property {Vec3} offset world offset of the view centre from the focus, decaying to zero
 */

/**
 * @typedef {object} Pick
 * @property {number} x
 * @property {number} y
 * @property {number} r hit radius in CSS pixels
 * @property {Focus} focus
 */

/**
 * @typedef {object} Scene
 * @property {Vec3} center world position at the screen centre
 * @property {{p: Vec3, v: Vec3}[]} bodies interpolated body states
 * @property {Map<number, {p: Vec3, v: Vec3}>} ships interpolated ship states
 * @property {Pick[]} picks
 */

export const minZoomLog = -0.5;
export const maxZoomLog = 10.6;

const obliquity = (23.4393 * Math.PI) / 180;
const cosObliquity = Math.cos(obliquity);
const sinObliquity = Math.sin(obliquity);

/** @type {Record<string, string>} */
const bodyColors = {
  Sun: "#ffd27a",
  Mercury: "#a9a29a",
  Venus: "#e8cf9a",
  Earth: "#4f8fe8",
  Moon: "#bfc3c9",
  Mars: "#d9704a",
  Jupiter: "#d8b38a",
  Saturn: "#e3cf95",
  Uranus: "#9fdde3",
  Neptune: "#5a7cf0",
  Io: "#e6d36a",
  Europa: "#d9cbb0",
  Titan: "#e0a75a",
  Triton: "#c9d6dd",
};

const ownColor = "#4fe3ff";
const targetColor = "#ffb347";
const stationColor = "#ffcf6b";
const otherShipColor = "#c8d3e6";

/** Randomly placed background stars, in fractions of the canvas size. */
const stars = Array.from({ length: 260 }, () => ({
  x: Math.random(),
  y: Math.random(),
  size: Math.random() < 0.9 ? 1 : 1.6,
  alpha: 0.15 + Math.random() * 0.55,
}));

export class Renderer {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
    this.width = 0;
    this.height = 0;
    this.metresPerPixel = 1;
    this.cx = 0;
    this.cy = 0;
    /** @type {{x: number, y: number, w: number, h: number}[]} */
    this.labelBoxes = [];
    /** Screen rows, in CSS pixels, not covered by the HUD. The view centres between them. */
    this.clearTop = 0;
    this.clearBottom = Infinity;
    /** @type {[number, number][]} screen positions of small body discs drawn this frame */
    this.bodyPoints = [];
  }

  /**
   * @param {number} top
   * @param {number} bottom
   */
  setClearArea(top, bottom) {
    this.clearTop = top;
    this.clearBottom = bottom;
  }

  /** Matches the backing store to the CSS size times devicePixelRatio so lines stay crisp. */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const rect = this.canvas.getBoundingClientRect();
    const w = Math.max(1, Math.round(rect.width * ratio));
    const h = Math.max(1, Math.round(rect.height * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.width = rect.width;
    this.height = rect.height;
    this.cx = rect.width / 2;
    const bottom = Math.min(rect.height, this.clearBottom);
    this.cy = bottom - this.clearTop > 120 ? (this.clearTop + bottom) / 2 : rect.height / 2;
  }

  /**
   * Sets the projection used by project() for this frame.
   * @param {Camera} camera
   * @param {Vec3} center
   */
  setView(camera, center) {
    this.metresPerPixel = 10 ** camera.zoomLog;
    this.center = center;
    this.cosYaw = Math.cos(camera.yaw);
    this.sinYaw = Math.sin(camera.yaw);
    this.cosPitch = Math.cos(camera.pitch);
    this.sinPitch = Math.sin(camera.pitch);
  }

  /**
   * Projects a world position to CSS pixels: ICRF to ecliptic, then the user's yaw and pitch.
   * @param {Vec3} p
   * @returns {[number, number]}
   */
  project(p) {
    const center = /** @type {Vec3} */ (this.center);
    const x = p[0] - center[0];
    const y0 = p[1] - center[1];
    const z0 = p[2] - center[2];
    return this.projectOffset(x, y0, z0);
  }

  /**
   * @param {number} x
   * @param {number} y0
   * @param {number} z0
   * @returns {[number, number]}
   */
  projectOffset(x, y0, z0) {
    const y = y0 * cosObliquity + z0 * sinObliquity;
    const z = -y0 * sinObliquity + z0 * cosObliquity;
    const xr = x * (this.cosYaw || 1) - y * (this.sinYaw || 0);
    const yr = x * (this.sinYaw || 0) + y * (this.cosYaw || 1);
    const ys = yr * (this.cosPitch || 1) + z * (this.sinPitch || 0);
    return [this.cx + xr / this.metresPerPixel, this.cy - ys / this.metresPerPixel];
  }

  /**
   * Draws one frame.
   * @param {WorldState} world
   * @param {Camera} camera
   * @param {Scene} scene
   * @param {number | null} targetId selected target ship
   */
  draw(world, camera, scene, targetId) {
    this.resize();
    this.setView(camera, scene.center);
    this.labelBoxes = [];
    this.bodyPoints = [];
    const ctx = this.ctx;
    this.drawBackground();
    this.drawBodyOrbits(world, scene);
    /** @type {{x: number, y: number, text: string, color: string, priority: number}[]} */
    const labels = [];
    this.drawBodies(world, scene, camera, labels);
    const own = world.ownShip();
    if (targetId !== null) this.drawShipOrbit(world, scene, targetId, targetColor, [6, 5], false);
    if (own) this.drawShipOrbit(world, scene, own.id, ownColor, [], true);
    for (const ship of world.ships.values()) this.drawShip(ship, scene, camera, targetId, labels);
    labels.sort((a, b) => b.priority - a.priority);
    ctx.font = "12px system-ui, sans-serif";
    for (const label of labels) this.drawLabel(label.x, label.y, label.text, label.color);
    this.drawScaleBar();
  }

  drawBackground() {
    const ctx = this.ctx;
    const gradient = ctx.createRadialGradient(this.cx, this.cy, 0, this.cx, this.cy, Math.max(this.width, this.height));
    gradient.addColorStop(0, "#0b1122");
    gradient.addColorStop(1, "#03050b");
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, this.width, this.height);
    for (const star of stars) {
      ctx.fillStyle = `rgba(220, 230, 255, ${star.alpha})`;
      ctx.fillRect(star.x * this.width, star.y * this.height, star.size, star.size);
    }
  }

  /**
   * Draws the faint orbits of planets and moons about their parents.
   * @param {WorldState} world
   * @param {Scene} scene
   */
  drawBodyOrbits(world, scene) {
    const ctx = this.ctx;
    ctx.lineWidth = 1;
    for (const body of world.bodies) {
      const parent = body.parent ? world.bodyByName.get(body.parent) : undefined;
      const state = scene.bodies[body.index];
      if (!parent || !state) continue;
      const parentState = scene.bodies[parent.index];
      const r = sub(state.p, parentState.p);
      const sizePx = norm(r) / this.metresPerPixel;
      if (sizePx < 14) continue;
      const conic = conicFromState(r, sub(state.v, parentState.v), parent.gm + body.gm);
      if (!conic) continue;
      const fade = Math.min(1, (sizePx - 14) / 60);
      ctx.strokeStyle = `rgba(120, 150, 200, ${0.28 * fade})`;
      ctx.setLineDash([]);
      this.strokeConic(conic, parentState.p);
    }
  }

  /**
   * Strokes a conic about a primary at world position origin. Far out the whole orbit is sampled
   * uniformly. Close in, only the arc near the view centre is sampled, densely enough that the
   * chords stay within a pixel of the true curve.
   * @param {Conic} conic
   * @param {Vec3} origin
   * @returns {[number, number][]} the projected points
   */
  strokeConic(conic, origin) {
    let [start, end] = anomalyRange(conic);
    const center = /** @type {Vec3} */ (this.center);
    const relCenter = sub(center, origin);
    const maxRadius = Number.isFinite(conic.apoapsis) ? conic.apoapsis : norm(relCenter) + conic.periapsis;
    const samples = 360;
    if (maxRadius / this.metresPerPixel > 12000) {
      const nuCenter = Math.atan2(
        relCenter[0] * conic.Q[0] + relCenter[1] * conic.Q[1] + relCenter[2] * conic.Q[2],
        relCenter[0] * conic.P[0] + relCenter[1] * conic.P[1] + relCenter[2] * conic.P[2],
      );
      const radiusAtCenter = conic.p / (1 + conic.e * Math.cos(nuCenter));
      const diagonal = Math.hypot(this.width, this.height) * this.metresPerPixel;
      const span = Math.min(Math.PI, (3 * diagonal) / Math.max(1, radiusAtCenter));
      start = Math.max(start, nuCenter - span);
      end = Math.min(end, nuCenter + span);
      if (conic.e < 1 && span >= Math.PI) {
        start = -Math.PI;
        end = Math.PI;
      }
    }
    /** @type {[number, number][]} */
    const points = [];
    const ctx = this.ctx;
    ctx.beginPath();
    for (let k = 0; k <= samples; k++) {
      const nu = start + ((end - start) * k) / samples;
      const rel = conicPoint(conic, nu);
      const point = this.project([origin[0] + rel[0], origin[1] + rel[1], origin[2] + rel[2]]);
      points.push(point);
      if (k === 0) ctx.moveTo(point[0], point[1]);
      else ctx.lineTo(point[0], point[1]);
    }
    ctx.stroke();
    return points;
  }

  /**
   * @param {WorldState} world
   * @param {Scene} scene
   * @param {Camera} camera
   * @param {{x: number, y: number, text: string, color: string, priority: number}[]} labels
   */
  drawBodies(world, scene, camera, labels) {
    const ctx = this.ctx;
    for (const body of world.bodies) {
      const state = scene.bodies[body.index];
      if (!state) continue;
      const [x, y] = this.project(state.p);
      const radiusPx = body.radius / this.metresPerPixel;
      const color = bodyColors[body.name] || "#aab4c4";
      const parent = body.parent ? world.bodyByName.get(body.parent) : undefined;
      let separationPx = Infinity;
      if (parent) separationPx = norm(sub(state.p, scene.bodies[parent.index].p)) / this.metresPerPixel;
      const focused = "body" in camera.focus && camera.focus.body === body.name;
      // A moon closer to its planet than a few pixels is hidden until the user zooms in.
      if (separationPx < 6 && !focused) continue;
      if (body.name === "Sun") this.drawGlow(x, y, Math.max(radiusPx, 3));
      let light = /** @type {[number, number]} */ ([-0.6, -0.6]);
      const sun = scene.bodies[0];
      if (sun && body.index !== 0) {
        const [sx, sy] = this.project(sun.p);
        const length = Math.hypot(sx - x, sy - y);
        if (length > 0) light = [(sx - x) / length, (sy - y) / length];
      }
      this.drawDisc(x, y, radiusPx, color, body.name === "Sun", light);
      scene.picks.push({ x, y, r: Math.max(radiusPx, 10), focus: { body: body.name } });
      if (radiusPx < 8) this.bodyPoints.push([x, y]);
      const isPlanet = body.parent === "Sun" || body.parent === null;
      if (radiusPx < this.width * 2) {
        let priority = isPlanet ? 50 : 30;
        if (focused) priority = 90;
        labels.push({ x: x + Math.max(radiusPx, 3) + 6, y: y + 4, text: body.name, color: "#9fb3d1", priority });
      }
    }
  }

  /**
   * @param {number} x
   * @param {number} y
   * @param {number} radius
   */
  drawGlow(x, y, radius) {
    const ctx = this.ctx;
    const glow = Math.min(400, radius * 6 + 30);
    const gradient = ctx.createRadialGradient(x, y, 0, x, y, glow);
    gradient.addColorStop(0, "rgba(255, 214, 130, 0.45)");
    gradient.addColorStop(1, "rgba(255, 214, 130, 0)");
    ctx.fillStyle = gradient;
    ctx.beginPath();
    ctx.arc(x, y, glow, 0, Math.PI * 2);
    ctx.fill();
  }

  /**
   * Fills a body's disc. A disc far larger than the screen is drawn as the visible arc of its limb
   * so the canvas never gets coordinates millions of pixels away.
   * @param {number} x
   * @param {number} y
   * @param {number} radiusPx
   * @param {string} color
   * @param {boolean} emissive
   * @param {[number, number]} light unit screen direction toward the Sun
   */
  drawDisc(x, y, radiusPx, color, emissive, light) {
    const ctx = this.ctx;
    const r = Math.max(radiusPx, 2.5);
    const diagonal = Math.hypot(this.width, this.height);
    const distance = Math.hypot(this.cx - x, this.cy - y);
    if (distance - r > diagonal) return;
    if (r < 20000) {
      const hx = x + light[0] * r * 0.45;
      const hy = y + light[1] * r * 0.45;
      const gradient = ctx.createRadialGradient(hx, hy, r * 0.05, x, y, r);
      gradient.addColorStop(0, emissive ? "#fff6d8" : lighten(color));
      gradient.addColorStop(0.55, color);
      gradient.addColorStop(1, emissive ? color : mix(color, 0, 0.8));
      ctx.fillStyle = gradient;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
      if (r > 6 && !emissive) {
        ctx.strokeStyle = "rgba(160, 200, 255, 0.35)";
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
      return;
    }
    if (r - distance > diagonal) {
      ctx.fillStyle = darken(color);
      ctx.fillRect(0, 0, this.width, this.height);
      return;
    }
    const toward = Math.atan2(this.cy - y, this.cx - x);
    const span = Math.min(Math.PI, (3 * diagonal) / r);
    ctx.beginPath();
    const steps = 64;
    for (let k = 0; k <= steps; k++) {
      const angle = toward - span + (2 * span * k) / steps;
      const px = x + Math.cos(angle) * r;
      const py = y + Math.sin(angle) * r;
      if (k === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    const inner = r - 3 * diagonal;
    ctx.lineTo(x + Math.cos(toward + span) * inner, y + Math.sin(toward + span) * inner);
    ctx.lineTo(x + Math.cos(toward - span) * inner, y + Math.sin(toward - span) * inner);
    ctx.closePath();
    const gradient = ctx.createLinearGradient(
      x + Math.cos(toward) * r,
      y + Math.sin(toward) * r,
      x + Math.cos(toward) * (r - diagonal),
      y + Math.sin(toward) * (r - diagonal),
    );
    gradient.addColorStop(0, lighten(color));
    gradient.addColorStop(0.4, darken(color));
    ctx.fillStyle = gradient;
    ctx.fill();
    ctx.strokeStyle = "rgba(140, 200, 255, 0.6)";
    ctx.lineWidth = 2;
    ctx.stroke();
  }

  /**
   * Draws a ship's osculating orbit about its primary, with periapsis and apoapsis marks for the
   * player's ship.
   * @param {WorldState} world
   * @param {Scene} scene
   * @param {number} shipId
   * @param {string} color
   * @param {number[]} dash
   * @param {boolean} markApsides
   */
  drawShipOrbit(world, scene, shipId, color, dash, markApsides) {
    const ship = world.ships.get(shipId);
    const state = scene.ships.get(shipId);
    if (!ship || !state) return;
    const primaryName = ship.detail && ship.detail.primary;
    const primary = world.bodyByName.get(primaryName) || world.primaryFor(state.p, scene.bodies);
    const origin = scene.bodies[primary.index];
    if (!origin) return;
    const conic = conicFromState(sub(state.p, origin.p), sub(state.v, origin.v), primary.gm);
    if (!conic) return;
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.globalAlpha = 0.85;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(dash);
    this.strokeConic(conic, origin.p);
    ctx.restore();
    if (!markApsides || conic.e < 1e-3) return;
    const marks = [[0, "Pe", conic.periapsis]];
    if (conic.e < 1) marks.push([Math.PI, "Ap", conic.apoapsis]);
    for (const [nu, name, radius] of /** @type {[number, string, number][]} */ (marks)) {
      const rel = conicPoint(conic, nu);
      const [x, y] = this.project([origin.p[0] + rel[0], origin.p[1] + rel[1], origin.p[2] + rel[2]]);
      if (x < -50 || y < -50 || x > this.width + 50 || y > this.height + 50) continue;
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.moveTo(x, y - 5);
      ctx.lineTo(x + 4, y);
      ctx.lineTo(x, y + 5);
      ctx.lineTo(x - 4, y);
      ctx.closePath();
      ctx.fill();
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillStyle = "rgba(200, 240, 255, 0.85)";
      ctx.fillText(`${name} ${formatDistance(radius - primary.radius)}`, x + 8, y - 6);
    }
  }

  /**
   * @param {Ship} ship
   * @param {Scene} scene
   * @param {Camera} camera
   * @param {number | null} targetId
   * @param {{x: number, y: number, text: string, color: string, priority: number}[]} labels
   */
  drawShip(ship, scene, camera, targetId, labels) {
    const state = scene.ships.get(ship.id);
    if (!state) return;
    const [x, y] = this.project(state.p);
    if (x < -40 || y < -40 || x > this.width + 40 || y > this.height + 40) return;
    const isTarget = ship.id === targetId;
    const station = ship.kind === "station";
    const focused = "ship" in camera.focus && camera.focus.ship === ship.id;
    // Ships sitting on a body's dot at this zoom would only hide it, so only the player's ship and
    // the selected target are marked there, without a label.
    const onBody = this.bodyPoints.some(([bx, by]) => Math.hypot(bx - x, by - y) < 9);
    if (onBody && !ship.own && !isTarget && !focused) return;
    let color = station ? stationColor : otherShipColor;
    if (ship.own) color = ownColor;
    if (onBody && !focused) {
      // The player's ship or the target on a body's dot gets only a ring, so the body stays visible.
      this.ctx.strokeStyle = isTarget ? targetColor : ownColor;
      this.ctx.lineWidth = 1.2;
      this.ctx.beginPath();
      this.ctx.arc(x, y, isTarget ? 12 : 9, 0, Math.PI * 2);
      this.ctx.stroke();
      return;
    }
    this.drawShipGlyph(ship, x, y, color, isTarget);
    scene.picks.push({ x, y, r: 14, focus: { ship: ship.id } });

    let priority = station ? 70 : 40;
    let labelColor = color;
    if (focused) priority = 90;
    if (isTarget) {
      priority = 95;
      labelColor = targetColor;
    }
    if (ship.own) priority = 100;
    labels.push({ x: x + 16, y: y + 4, text: ship.name, color: labelColor, priority });
  }

  /**
   * Draws a ship's icon: a diamond for a station, else an arrow along the ship's nose with a flame
   * while its engine burns.
   * @param {Ship} ship
   * @param {number} x
   * @param {number} y
   * @param {string} color
   * @param {boolean} isTarget
   */
  drawShipGlyph(ship, x, y, color, isTarget) {
    const ctx = this.ctx;
    ctx.save();
    ctx.translate(x, y);
    if (ship.own || isTarget) {
      ctx.strokeStyle = isTarget ? targetColor : "rgba(79, 227, 255, 0.35)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(0, 0, 13, 0, Math.PI * 2);
      ctx.stroke();
    }
    if (ship.kind === "station") {
      ctx.rotate(Math.PI / 4);
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.6;
      ctx.strokeRect(-5, -5, 10, 10);
      ctx.fillStyle = "rgba(255, 207, 107, 0.25)";
      ctx.fillRect(-5, -5, 10, 10);
      ctx.restore();
      return;
    }
    const nose = rotate(ship.q, [1, 0, 0]);
    const [nx, ny] = this.projectOffset(nose[0], nose[1], nose[2]);
    const angle = Math.atan2(ny - this.cy, nx - this.cx);
    ctx.rotate(Number.isFinite(angle) ? angle : 0);
    const throttle = ship.detail ? ship.detail.throttle || 0 : 0;
    if (throttle > 0) {
      const length = 6 + 14 * throttle * (0.85 + 0.15 * Math.random());
      const flame = ctx.createLinearGradient(-5, 0, -5 - length, 0);
      flame.addColorStop(0, "rgba(255, 240, 200, 0.95)");
      flame.addColorStop(1, "rgba(255, 120, 40, 0)");
      ctx.fillStyle = flame;
      ctx.beginPath();
      ctx.moveTo(-4, -3);
      ctx.lineTo(-5 - length, 0);
      ctx.lineTo(-4, 3);
      ctx.closePath();
      ctx.fill();
    }
    ctx.fillStyle = color;
    ctx.shadowColor = color;
    ctx.shadowBlur = ship.own ? 10 : 0;
    ctx.beginPath();
    ctx.moveTo(9, 0);
    ctx.lineTo(-6, -6);
    ctx.lineTo(-3, 0);
    ctx.lineTo(-6, 6);
    ctx.closePath();
    ctx.fill();
    ctx.restore();
  }

  /**
   * Draws a label unless it would overlap one already placed this frame.
   * @param {number} x
   * @param {number} y
   * @param {string} text
   * @param {string} color
   */
  drawLabel(x, y, text, color) {
    if (x > this.width || y < 0 || y > this.height + 12) return;
    const ctx = this.ctx;
    const w = ctx.measureText(text).width;
    const box = { x: x - 2, y: y - 12, w: w + 4, h: 16 };
    for (const other of this.labelBoxes) {
      if (box.x < other.x + other.w && other.x < box.x + box.w && box.y < other.y + other.h && other.y < box.y + box.h) {
        return;
      }
    }
    this.labelBoxes.push(box);
    ctx.fillStyle = "rgba(3, 6, 14, 0.55)";
    ctx.fillRect(box.x, box.y, box.w, box.h);
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  }

  drawScaleBar() {
    const target = 120 * this.metresPerPixel;
    const power = 10 ** Math.floor(Math.log10(target));
    const step = [5, 2, 1].map((k) => k * power).find((value) => value <= target) || power;
    const length = step / this.metresPerPixel;
    const ctx = this.ctx;
    const x = 16;
    const y = Math.min(this.height, this.clearBottom) - 18;
    ctx.strokeStyle = "rgba(190, 210, 240, 0.7)";
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x, y - 4);
    ctx.lineTo(x, y);
    ctx.lineTo(x + length, y);
    ctx.lineTo(x + length, y - 4);
    ctx.stroke();
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "rgba(190, 210, 240, 0.8)";
    ctx.fillText(formatDistance(step), x + 4, y - 6);
  }
}

/** @param {string} hex */
function lighten(hex) {
  return mix(hex, 255, 0.35);
}

/** @param {string} hex */
function darken(hex) {
  return mix(hex, 0, 0.55);
}

/**
 * @param {string} hex a #rrggbb colour
 * @param {number} toward 0 or 255
 * @param {number} amount
 */
function mix(hex, toward, amount) {
  const value = parseInt(hex.slice(1), 16);
  const channels = [16, 8, 0].map((shift) => (value >> shift) & 255);
  const mixed = channels.map((c) => Math.round(c + (toward - c) * amount));
  return `rgb(${mixed[0]}, ${mixed[1]}, ${mixed[2]})`;
}

/**
 * Formats a distance in metres with a unit suited to its size.
 * @param {number} metres
 */
export function formatDistance(metres) {
  const magnitude = Math.abs(metres);
  if (!Number.isFinite(metres)) return "∞";
  if (magnitude >= 1.496e10) return `${(metres / 1.495978707e11).toFixed(magnitude >= 1.496e12 ? 1 : 3)} AU`;
  if (magnitude >= 1e7) return `${Math.round(metres / 1000).toLocaleString("en-US")} km`;
  if (magnitude >= 1e4) return `${(metres / 1000).toFixed(1)} km`;
  if (magnitude >= 1000) return `${(metres / 1000).toFixed(2)} km`;
  return `${metres.toFixed(magnitude < 10 ? 1 : 0)} m`;
}
