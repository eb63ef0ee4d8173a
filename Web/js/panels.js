// DOM side of the HUD: telemetry, the object list, the target picker, maneuver progress and
// notifications.

import { conicFromState, norm, sub } from "./orbit.js";
import { formatDistance } from "./render.js";

/** @typedef {import("./state.js").WorldState} WorldState */
/** @typedef {import("./state.js").Ship} Ship */
/** @typedef {import("./render.js").Focus} Focus */
/** @typedef {import("./orbit.js").Vec3} Vec3 */

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing element #${id} in index.html`);
  return found;
}

/**
 * @param {string} id
 * @returns {HTMLInputElement}
 */
export function inputElement(id) {
  return /** @type {HTMLInputElement} */ (element(id));
}

/**
 * @param {string} id
 * @returns {HTMLSelectElement}
 */
export function selectElement(id) {
  return /** @type {HTMLSelectElement} */ (element(id));
}

/**
 * @param {string} id
 * @param {string} text
 */
function setText(id, text) {
  const node = element(id);
  if (node.textContent !== text) node.textContent = text;
}

/** @param {number} seconds */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, "0")}m`;
  return `${minutes}m ${String(rest).padStart(2, "0")}s`;
}

/** @param {number} metresPerSecond */
function formatSpeed(metresPerSecond) {
  if (Math.abs(metresPerSecond) >= 1000) return `${(metresPerSecond / 1000).toFixed(2)} km/s`;
  return `${metresPerSecond.toFixed(metresPerSecond < 10 ? 2 : 1)} m/s`;
}

const modeNames = /** @type {Record<string, string>} */ ({
  hold: "Hold",
  direction: "Direction",
  prograde: "Prograde",
  retrograde: "Retrograde",
  normal: "Normal",
  antinormal: "Anti-normal",
  radial_in: "Radial in",
  radial_out: "Radial out",
  target: "Target",
});

const phaseOrder = ["transfer", "match_orbit", "phasing", "approach", "holding"];
const phaseNames = /** @type {Record<string, string>} */ ({
  transfer: "Transfer",
  match_orbit: "Match orbit",
  phasing: "Phasing",
  approach: "Approach",
  holding: "Holding",
});
const kindPhases = /** @type {Record<string, string[]>} */ ({
  transfer: ["transfer"],
  match_orbit: ["match_orbit"],
  rendezvous: ["match_orbit", "phasing", "approach", "holding"],
});

/**
 * Formats the game time as a calendar date from the epoch. TDB is treated as UTC here, which is
 * off by about a minute and fine for a clock display.
 * @param {string} epochIso
 * @param {number} seconds since the epoch
 */
export function formatGameTime(epochIso, seconds) {
  const epoch = Date.parse(`${epochIso}Z`);
  const date = new Date(epoch + seconds * 1000);
  if (Number.isNaN(date.getTime())) return `T+${formatDuration(seconds)}`;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} TDB`;
}

/**
 * Updates the ship panel from the player's ship and its interpolated state.
 * @param {WorldState} world
 * @param {Ship | undefined} ship
 * @param {{p: Vec3, v: Vec3} | undefined} state
 * @param {{p: Vec3, v: Vec3}[]} bodyStates
 */
export function updateShipPanel(world, ship, state, bodyStates) {
  if (!ship || !state || !ship.detail) return;
  const detail = ship.detail;
  setText("ship-name", ship.name);
  const primary = world.bodyByName.get(detail.primary) || world.primaryFor(state.p, bodyStates);
  const origin = bodyStates[primary.index];
  if (origin) {
    const r = sub(state.p, origin.p);
    const v = sub(state.v, origin.v);
    setText("r-primary", primary.name);
    setText("r-alt", formatDistance(norm(r) - primary.radius));
    setText("r-speed", formatSpeed(norm(v)));
    const conic = conicFromState(r, v, primary.gm);
    if (conic) {
      setText("r-a", formatDistance(conic.a));
      setText("r-e", conic.e.toFixed(4));
      setText("r-i", `${conic.iDeg.toFixed(2)}°`);
      setText("r-pe", formatDistance(conic.periapsis - primary.radius));
      setText("r-ap", Number.isFinite(conic.apoapsis) ? formatDistance(conic.apoapsis - primary.radius) : "escape");
      setText("r-period", formatDuration(conic.period));
    }
  }

  const thrust = detail.thrust_n || 0;
  setText("r-thrust", `${thrust >= 1000 ? `${(thrust / 1000).toFixed(1)} kN` : `${thrust.toFixed(0)} N`} · ${Math.round((detail.throttle || 0) * 100)}%`);
  setText("r-mode", modeNames[detail.mode] || detail.mode || "—");
  const fuel = detail.fuel_kg || 0;
  ship.maxFuel = Math.max(ship.maxFuel || 0, fuel, 1);
  setText("r-fuel", `${fuel.toFixed(fuel < 100 ? 1 : 0)} kg`);
  element("fuel-bar").style.width = `${Math.min(100, (fuel / ship.maxFuel) * 100).toFixed(1)}%`;
  const conditions = detail.condition || [];
  const conditionNode = element("r-condition");
  conditionNode.hidden = conditions.length === 0;
  setText("r-condition", conditions.map((/** @type {string} */ c) => c.replace(/_/g, " ")).join(", "));
  updateManeuver(world, detail.maneuver);
}

/**
 * @param {WorldState} world
 * @param {any} maneuver the ship's maneuver progress, or null
 */
function updateManeuver(world, maneuver) {
  const box = element("maneuver-status");
  box.hidden = !maneuver;
  /** @type {HTMLButtonElement} */ (element("cancel-maneuver")).disabled = !maneuver;
  if (!maneuver) return;
  setText("m-kind", (maneuver.kind || "").replace(/_/g, " "));
  const phases = kindPhases[maneuver.kind] || phaseOrder;
  const currentIndex = phases.indexOf(maneuver.phase);
  const phaseList = element("m-phases");
  const html = phases
    .map((phase, index) => {
      let state = "";
      if (index === currentIndex) state = "current";
      else if (index < currentIndex) state = "done";
      return `<li class="${state}">${phaseNames[phase] || phase}</li>`;
    })
    .join("");
  if (phaseList.innerHTML !== html) phaseList.innerHTML = html;
  /** @type {[string, string][]} */
  const rows = [["Elapsed", formatDuration(maneuver.elapsed_s)]];
  if (maneuver.distance_m != null) rows.push(["Distance", formatDistance(maneuver.distance_m)]);
  if (maneuver.closing_speed_m_s != null) rows.push(["Closing speed", formatSpeed(maneuver.closing_speed_m_s)]);
  if (maneuver.relative_speed_m_s != null) rows.push(["Relative speed", formatSpeed(maneuver.relative_speed_m_s)]);
  if (maneuver.phase_angle_deg != null) rows.push(["Phase angle", `${maneuver.phase_angle_deg.toFixed(2)}°`]);
  if (maneuver.eta_s != null) rows.push(["ETA", formatDuration(maneuver.eta_s)]);
  if (maneuver.errors && maneuver.errors.a_m != null) rows.push(["Δa", formatDistance(maneuver.errors.a_m)]);
  if (maneuver.errors && maneuver.errors.i_deg != null) rows.push(["Δi", `${maneuver.errors.i_deg.toFixed(2)}°`]);
  rows.push(["Propellant used", `${(maneuver.propellant_kg || 0).toFixed(1)} kg`]);
  rows.push(["Throttle", `${Math.round((maneuver.throttle || 0) * 100)}%`]);
  const details = rows.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join("");
  const detailNode = element("m-details");
  if (detailNode.innerHTML !== details) detailNode.innerHTML = details;
  void world;
}

/**
 * @param {Focus} a
 * @param {Focus} b
 */
export function sameFocus(a, b) {
  if ("ship" in a && "ship" in b) return a.ship === b.ship;
  if ("body" in a && "body" in b) return a.body === b.body;
  return false;
}

/**
 * Rebuilds the object list when its contents change. Bodies are listed with their moons indented.
 * @param {WorldState} world
 * @param {Focus} focus
 * @param {(focus: Focus) => void} onPick
 */
export function updateObjectList(world, focus, onPick) {
  const list = element("object-list");
  /** @type {{focus: Focus, name: string, meta: string, color: string, className: string, swatch: string}[]} */
  const rows = [];
  const ships = [...world.ships.values()].sort((a, b) => shipRank(a) - shipRank(b) || a.name.localeCompare(b.name));
  for (const ship of ships) {
    let color = ship.kind === "station" ? "#ffcf6b" : "#c8d3e6";
    if (ship.own) color = "#4fe3ff";
    rows.push({ focus: { ship: ship.id }, name: ship.name, meta: ship.own ? "you" : ship.kind, color, className: "", swatch: "ship" });
  }
  const planets = world.bodies.filter((b) => !b.parent || b.parent === "Sun");
  for (const planet of planets) {
    rows.push({ focus: { body: planet.name }, name: planet.name, meta: "", color: "", className: "", swatch: "" });
    for (const moon of world.bodies.filter((b) => b.parent === planet.name && b.parent !== "Sun" && planet.parent)) {
      rows.push({ focus: { body: moon.name }, name: moon.name, meta: "", color: "", className: "indent", swatch: "" });
    }
  }
  const signature = JSON.stringify(rows.map((r) => [r.focus, r.name, r.meta])) + JSON.stringify(focus);
  if (list.dataset.signature === signature) return;
  list.dataset.signature = signature;
  list.replaceChildren();
  let section = "";
  for (const row of rows) {
    const rowSection = "ship" in row.focus ? "Ships and stations" : "Bodies";
    if (rowSection !== section) {
      section = rowSection;
      const header = document.createElement("li");
      header.className = "section";
      header.textContent = section;
      list.append(header);
    }
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.className = `${row.className} ${sameFocus(row.focus, focus) ? "active" : ""}`;
    const swatch = document.createElement("i");
    swatch.className = `swatch ${row.swatch}`;
    swatch.style.background = row.color || bodySwatch(row.name);
    const name = document.createElement("span");
    name.textContent = row.name;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = row.meta;
    button.append(swatch, name, meta);
    button.addEventListener("click", () => onPick(row.focus));
    item.append(button);
    list.append(item);
  }
}

/**
 * Orders the object list: the player's ships, then stations, then other ships.
 * @param {Ship} ship
 */
function shipRank(ship) {
  if (ship.own) return 0;
  return ship.kind === "station" ? 1 : 2;
}

/** @param {string} name */
function bodySwatch(name) {
  const colors = /** @type {Record<string, string>} */ ({
    Sun: "#ffd27a", Mercury: "#a9a29a", Venus: "#e8cf9a", Earth: "#4f8fe8", Moon: "#bfc3c9", Mars: "#d9704a",
    Jupiter: "#d8b38a", Saturn: "#e3cf95", Uranus: "#9fdde3", Neptune: "#5a7cf0",
  });
  return colors[name] || "#8894a8";
}

/**
 * Refreshes the target picker with the ships and stations in view, keeping the selection.
 * @param {WorldState} world
 * @param {number | null} targetId
 */
export function updateTargetSelect(world, targetId) {
  const select = selectElement("target-select");
  const candidates = [...world.ships.values()]
    .filter((s) => !s.own)
    .sort((a, b) => Number(b.kind === "station") - Number(a.kind === "station") || a.name.localeCompare(b.name));
  /** @type {[string, string][]} */
  const options = [["", "No target"]];
  for (const ship of candidates) options.push([String(ship.id), `${ship.name}${ship.kind === "station" ? " (station)" : ""}`]);
  if (targetId !== null && !world.ships.has(targetId)) options.push([String(targetId), `Ship ${targetId} (out of view)`]);
  const signature = JSON.stringify(options);
  if (select.dataset.signature !== signature) {
    select.dataset.signature = signature;
    select.replaceChildren(
      ...options.map(([value, text]) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        return option;
      }),
    );
  }
  const wanted = targetId === null ? "" : String(targetId);
  if (select.value !== wanted) select.value = wanted;
}

/**
 * Shows a notification that fades after 5 s, or 9 s for errors.
 * @param {string} title
 * @param {string} text
 * @param {"info" | "ok" | "warn" | "error"} level
 */
export function notify(title, text, level) {
  const box = element("toasts");
  const toast = document.createElement("div");
  toast.className = `toast ${level}`;
  const heading = document.createElement("b");
  heading.textContent = title;
  const body = document.createElement("span");
  body.textContent = text;
  toast.append(heading, body);
  box.prepend(toast);
  while (box.children.length > 4) box.lastElementChild?.remove();
  const lifetime = level === "error" ? 9000 : 5000;
  window.setTimeout(() => toast.classList.add("leaving"), lifetime);
  window.setTimeout(() => toast.remove(), lifetime + 500);
  toast.addEventListener("click", () => toast.remove());
}
