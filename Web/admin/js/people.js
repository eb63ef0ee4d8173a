// Connected players table with search and kick, and the ship inspector panel.

import { fetchPlayers, fetchShip, kick } from "./api.js";
import { addRow, element, formatDuration, formatNumber, inputElement, setText, showError, toast } from "./dom.js";

/** @typedef {import("./api.js").OnlinePlayer} OnlinePlayer */

/**
 * @param {number} metres
 */
function formatDistance(metres) {
  if (!Number.isFinite(metres)) return "—";
  const abs = Math.abs(metres);
  if (abs >= 1.495978707e10) return `${formatNumber(metres / 1.495978707e11, 4)} AU`;
  if (abs >= 1e4) return `${formatNumber(metres / 1000, 1)} km`;
  return `${formatNumber(metres, 1)} m`;
}

/**
 * @param {number[] | undefined} vector
 */
function magnitude(vector) {
  if (!Array.isArray(vector)) return NaN;
  return Math.hypot(...vector);
}

/** Labels for maneuver progress fields whose generated label would be unclear. */
const knownLabels = /** @type {Record<string, string>} */ ({
  a_m: "Semi-major axis (m)",
  e_vector: "Eccentricity vector",
  i_deg: "Inclination (°)",
  errors: "Remaining error",
  elapsed_s: "Elapsed",
  eta_s: "ETA",
});

/**
 * Turns a snake_case key with a unit suffix into a label, for maneuver fields this page does not
 * know by name.
 * @param {string} key
 */
function labelFor(key) {
  if (knownLabels[key]) return knownLabels[key];
  const units = /** @type {Record<string, string>} */ ({ s: "s", kg: "kg", m: "m", m_s: "m/s", deg: "°", n: "N" });
  const match = key.match(/^(.*?)_(m_s|kg|deg|s|m|n)$/);
  const words = (match ? match[1] : key).replace(/_/g, " ");
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return match ? `${label} (${units[match[2]]})` : label;
}

/**
 * @param {unknown} value
 * @returns {string}
 */
function formatValue(value) {
  if (typeof value === "number") {
    if (Math.abs(value) >= 1000 || Number.isInteger(value)) return formatNumber(value, 0);
    return Math.abs(value) < 0.001 ? value.toExponential(2) : formatNumber(value, 3);
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (value && typeof value === "object") return JSON.stringify(value);
  return value == null ? "—" : String(value).replace(/_/g, " ");
}

/** The players table and the ship panel, both driven by the admin token given at construction. */
export class PeoplePanel {
  /** @param {() => string} token */
  constructor(token) {
    this.token = token;
    /** @type {number | null} ship shown in the panel, refreshed with the table */
    this.shipId = null;
    this.loading = false;
    element("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.refresh();
    });
    let debounce = 0;
    inputElement("search").addEventListener("input", () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void this.refresh(), 300);
    });
    element("ship-close").addEventListener("click", () => this.closeShip());
  }

  /** Reloads the players table and the open ship, and skips a call made while one is running. */
  async refresh() {
    if (this.loading) return;
    this.loading = true;
    try {
      const players = await fetchPlayers(this.token(), inputElement("search").value.trim());
      showError(element("players-error"), "");
      this.renderPlayers(players);
    } catch (err) {
      showError(element("players-error"), `Loading players failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.loading = false;
    }
    if (this.shipId !== null) await this.loadShip(this.shipId, false);
  }

  /** @param {OnlinePlayer[]} players */
  renderPlayers(players) {
    const body = element("players-body");
    body.replaceChildren(...players.map((player) => this.playerRow(player)));
    element("players-empty").hidden = players.length > 0;
    setText(element("player-count"), `(${players.length})`);
  }

  /**
   * @param {OnlinePlayer} player
   * @returns {HTMLTableRowElement}
   */
  playerRow(player) {
    const row = document.createElement("tr");
    const id = document.createElement("td");
    id.textContent = String(player.id);
    id.className = "num";
    const name = document.createElement("td");
    name.textContent = player.username;
    name.className = "username";
    const connections = document.createElement("td");
    connections.textContent = String(player.connections);
    connections.className = "num";

    const ships = document.createElement("td");
    const chips = document.createElement("div");
    chips.className = "chips";
    ships.append(chips);
    for (const shipId of player.ships) {
      const link = document.createElement("button");
      link.className = "chip";
      link.textContent = `#${shipId}`;
      link.title = `Inspect ship ${shipId}`;
      if (shipId === this.shipId) link.classList.add("active");
      link.addEventListener("click", () => void this.loadShip(shipId, true));
      chips.append(link);
    }

    const actions = document.createElement("td");
    actions.className = "actions";
    const kickButton = document.createElement("button");
    kickButton.className = "danger small";
    kickButton.textContent = "Kick";
    kickButton.addEventListener("click", () => void this.kickPlayer(player, kickButton));
    actions.append(kickButton);

    row.append(id, name, connections, ships, actions);
    return row;
  }

  /**
   * @param {OnlinePlayer} player
   * @param {HTMLButtonElement} button
   */
  async kickPlayer(player, button) {
    const question = `Kick ${player.username} (player ${player.id})? Their ${player.connections} WebSocket connection(s) close with code 1008; their login token stays valid.`;
    if (!window.confirm(question)) return;
    button.disabled = true;
    try {
      const result = await kick(this.token(), player.id);
      toast("Player kicked", `${player.username}: ${result.closed_connections} connection(s) closed.`, "ok");
    } catch (err) {
      toast("Kick failed", err instanceof Error ? err.message : String(err), "error");
    } finally {
      button.disabled = false;
    }
    await this.refresh();
  }

  /**
   * @param {number} shipId
   * @param {boolean} scroll whether to bring the panel into view (on a click, not on a refresh)
   */
  async loadShip(shipId, scroll) {
    this.shipId = shipId;
    element("ship-close").hidden = false;
    element("ship-placeholder").hidden = true;
    setText(element("ship-title"), `#${shipId}`);
    document.querySelectorAll(".chip").forEach((chip) => chip.classList.toggle("active", chip.textContent === `#${shipId}`));
    if (scroll) element("ship-panel").scrollIntoView({ behavior: "smooth", block: "nearest" });
    try {
      const ship = await fetchShip(this.token(), shipId);
      if (this.shipId !== shipId) return;
      showError(element("ship-error"), "");
      this.renderShip(ship);
    } catch (err) {
      if (this.shipId !== shipId) return;
      showError(element("ship-error"), `Loading ship ${shipId} failed: ${err instanceof Error ? err.message : String(err)}`);
      element("ship-details").hidden = true;
    }
  }

  closeShip() {
    this.shipId = null;
    element("ship-close").hidden = true;
    element("ship-details").hidden = true;
    element("ship-placeholder").hidden = false;
    showError(element("ship-error"), "");
    setText(element("ship-title"), "");
    document.querySelectorAll(".chip").forEach((chip) => chip.classList.remove("active"));
  }

  /** @param {any} ship a ship object as GET /api/v1/admin/ships/{id} returns it */
  renderShip(ship) {
    setText(element("ship-title"), `#${ship.id} ${ship.name ?? ""}`);
    const general = element("ship-general");
    general.replaceChildren();
    addRow(general, "Kind", formatValue(ship.kind));
    addRow(general, "Owner", ship.owner == null ? "none" : `player ${ship.owner}`);
    addRow(general, "Orbiting", formatValue(ship.primary));
    addRow(general, "Speed (barycentric)", `${formatNumber(magnitude(ship.velocity_m_s), 1)} m/s`);
    addRow(general, "Attitude mode", formatValue(ship.mode));
    addRow(general, "Throttle", `${formatNumber((ship.throttle ?? 0) * 100, 0)} %`);
    addRow(general, "Thrust", `${formatNumber(ship.thrust_n, 0)} N`);
    addRow(general, "Dry mass", `${formatNumber(ship.dry_mass_kg, 0)} kg`);
    const condition = Array.isArray(ship.condition) && ship.condition.length ? ship.condition.join(", ") : "nominal";
    addRow(general, "Condition", condition);

    const fuel = Number(ship.fuel_kg);
    const wetMass = fuel + Number(ship.dry_mass_kg);
    const share = wetMass > 0 ? ` (${formatNumber((fuel / wetMass) * 100, 1)} % of mass)` : "";
    addRow(general, "Fuel", `${formatNumber(fuel, 1)} kg${share}`);

    this.renderElements(ship.elements);
    this.renderManeuver(ship.maneuver);
    element("ship-details").hidden = false;
  }

  /** @param {any} elements */
  renderElements(elements) {
    const list = element("ship-elements");
    list.replaceChildren();
    if (!elements) {
      addRow(list, "Elements", "not available");
      return;
    }
    addRow(list, "About", formatValue(elements.body));
    addRow(list, "Semi-major axis", formatDistance(elements.a_m));
    addRow(list, "Eccentricity", formatNumber(elements.e, 5));
    addRow(list, "Inclination", `${formatNumber(elements.i_deg, 2)}°`);
    addRow(list, "RAAN", `${formatNumber(elements.raan_deg, 2)}°`);
    addRow(list, "Arg. of periapsis", `${formatNumber(elements.argp_deg, 2)}°`);
    addRow(list, "True anomaly", `${formatNumber(elements.true_anomaly_deg, 2)}°`);
    if (elements.periapsis_m != null) addRow(list, "Periapsis radius", formatDistance(elements.periapsis_m));
    addRow(list, "Apoapsis radius", elements.apoapsis_m == null ? "unbound" : formatDistance(elements.apoapsis_m));
    addRow(list, "Period", elements.period_s == null ? "unbound" : formatDuration(elements.period_s));
  }

  /** @param {any} maneuver progress object, or undefined when the ship has none */
  renderManeuver(maneuver) {
    const box = element("ship-maneuver");
    const details = element("ship-maneuver-details");
    details.replaceChildren();
    box.classList.toggle("idle", !maneuver);
    if (!maneuver) {
      setText(element("ship-maneuver-kind"), "none");
      return;
    }
    setText(element("ship-maneuver-kind"), String(maneuver.kind ?? "active").replace(/_/g, " "));
    for (const [key, value] of Object.entries(maneuver)) {
      if (key === "kind") continue;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        // Nested objects, such as the remaining orbit errors, get one row per field.
        for (const [inner, innerValue] of Object.entries(value)) {
          addRow(details, `${labelFor(key)}: ${labelFor(inner)}`, formatValue(innerValue));
        }
        continue;
      }
      const durationKey = key === "elapsed_s" || key === "eta_s";
      addRow(details, labelFor(key), durationKey && typeof value === "number" ? formatDuration(value) : formatValue(value));
    }
  }
}
