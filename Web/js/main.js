// Entry point: login, the connection, the camera and input, and the animation loop.

import * as api from "./api.js";
import { Connection } from "./connection.js";
import { conicFromState, norm, scale, sub } from "./orbit.js";
import {
  element,
  formatGameTime,
  inputElement,
  notify,
  sameFocus,
  selectElement,
  updateObjectList,
  updateShipPanel,
  updateTargetSelect,
} from "./panels.js";
import { Renderer, maxZoomLog, minZoomLog } from "./render.js";
import { WorldState } from "./state.js";

/** @typedef {import("./render.js").Focus} Focus */
/** @typedef {import("./render.js").Camera} Camera */
/** @typedef {import("./render.js").Scene} Scene */
/** @typedef {import("./orbit.js").Vec3} Vec3 */

const world = new WorldState();
const renderer = new Renderer(/** @type {HTMLCanvasElement} */ (element("sky")));

/** @type {Camera} */
const camera = { focus: { body: "Earth" }, zoomLog: 4.5, targetZoomLog: 4.5, yaw: 0, pitch: 0, offset: [0, 0, 0] };

/** @type {Connection | null} */
let connection = null;
/** @type {string | null} */
let token = api.loadToken();
/** @type {number | null} */
let targetId = null;
/** @type {Scene | null} */
let lastScene = null;
let frameRequested = false;
let connectionLost = false;
let welcomed = false;
let throttleTouchedAt = 0;
/** @type {number | undefined} */
let viewTimer;
/** @type {Vec3} */
let rcs = [0, 0, 0];

/**
 * Returns the elements matching a selector as an array, since the DOM's NodeList is not iterable
 * under the plain "dom" lib the type check uses.
 * @param {string} selector
 * @returns {HTMLElement[]}
 */
function all(selector) {
  return /** @type {HTMLElement[]} */ (Array.from(document.querySelectorAll(selector)));
}

// Login and session

/** @param {string} text */
function showLoginError(text) {
  const node = element("login-error");
  node.textContent = text;
  node.hidden = !text;
}

/** @param {"login" | "register"} action */
async function authenticate(action) {
  const username = inputElement("username").value.trim();
  const password = inputElement("password").value;
  showLoginError("");
  try {
    const result = action === "login" ? await api.login(username, password) : await api.register(username, password);
    token = result.token;
    api.storeToken(token);
    startSession();
  } catch (err) {
    showLoginError(err instanceof Error ? err.message : String(err));
  }
}

function startSession() {
  if (!token) return;
  element("login").hidden = true;
  element("hud").hidden = false;
  if (!document.body.dataset.tab && window.matchMedia("(max-width: 760px)").matches) document.body.dataset.tab = "ship";
  syncTabs();
  connection = new Connection(token, {
    onMessage: handleMessage,
    onError: (label, code, message) => notify(`${label} failed`, `${message} (${code})`, "error"),
    onStatus: (status, detail) => {
      const link = element("link");
      link.className = `link ${status}`;
      const statusNames = { open: "Online", connecting: "Connecting", closed: "Offline" };
      element("link-text").textContent = statusNames[status];
      link.title = detail;
      // One notification per outage, because every retry closes again until the server is back.
      if (status === "closed" && !connectionLost) {
        connectionLost = true;
        notify("Connection lost", `${detail}. Reconnecting by itself.`, "warn");
      }
      if (status === "open" && connectionLost) {
        connectionLost = false;
        notify("Reconnected", "The connection to the server is back.", "ok");
      }
    },
    isTokenValid: async () => {
      try {
        await api.me(/** @type {string} */ (token));
        return true;
      } catch (err) {
        if (err instanceof api.ApiError && err.status === 401) {
          endSession("Your session expired or was revoked. Log in again.");
          return false;
        }
        return true;
      }
    },
  });
  connection.open();
  requestFrame();
}

/** @param {string} reason shown on the login form */
function endSession(reason) {
  welcomed = false;
  connectionLost = false;
  if (connection) connection.stop();
  connection = null;
  token = null;
  api.storeToken(null);
  element("hud").hidden = true;
  element("login").hidden = false;
  showLoginError(reason);
  drawLoginBackground();
}

/** Paints the starfield behind the login form, because the animation loop runs only while logged in. */
function drawLoginBackground() {
  renderer.resize();
  renderer.drawBackground();
}

// Server messages

/** @param {any} message */
function handleMessage(message) {
  switch (message.type) {
    case "welcome":
      world.applyWelcome(message);
      element("pilot").textContent = message.player.username;
      // The first welcome centres the view on the player's ship; a reconnect keeps the user's focus.
      if (!welcomed && world.ownShipIds.length > 0) camera.focus = { ship: world.ownShipIds[0] };
      welcomed = true;
      fillTransferBodies();
      scheduleView();
      break;
    case "state":
      world.applyState(message);
      break;
    case "event":
      handleEvent(message);
      break;
    default:
      break;
  }
}

/** @param {any} event */
function handleEvent(event) {
  const ship = world.ships.get(event.ship_id);
  const name = ship ? ship.name : `Ship ${event.ship_id}`;
  switch (event.event) {
    case "crashed":
      notify("Crashed", `${name} crashed${event.body ? ` into ${event.body}` : ""}.`, "error");
      break;
    case "out_of_fuel":
      notify("Out of fuel", `${name} has no propellant left; the engine is off.`, "error");
      break;
    case "frozen":
      notify("Ship frozen", `${name} was frozen after a numerical fault.`, "error");
      break;
    case "maneuver_phase":
      notify("Autopilot", `${name}: phase ${String(event.phase).replace(/_/g, " ")}.`, "info");
      break;
    case "maneuver_completed":
      notify("Maneuver complete", `${name} reached its target.`, "ok");
      break;
    case "maneuver_aborted":
      notify("Maneuver aborted", `${name}: ${event.reason}.`, "error");
      break;
    case "maneuver_cancelled":
      notify("Maneuver cancelled", `${name}: ${String(event.reason).replace(/_/g, " ")}.`, "warn");
      break;
    default:
      notify("Event", `${name}: ${event.event}`, "info");
  }
}

// Commands

function ownShipId() {
  const ship = world.ownShip();
  return ship ? ship.id : null;
}

/**
 * @param {Record<string, any>} fields
 * @param {string} label
 */
function steer(fields, label) {
  const id = ownShipId();
  if (id === null || !connection) return;
  connection.send({ type: "steer", ship_id: id, ...fields }, label);
}

/** @param {string} mode */
function setMode(mode) {
  if (mode === "target") {
    if (targetId === null) {
      notify("No target", "Pick a target in the Autopilot panel or click a ship on the map first.", "warn");
      return;
    }
    steer({ attitude_mode: "target", target: { ship: targetId } }, "Point at target");
    return;
  }
  steer({ attitude_mode: mode }, `Attitude ${mode}`);
}

let throttleSendTimer = 0;
/** @param {number} value 0 to 1 */
function setThrottle(value) {
  const clamped = Math.min(1, Math.max(0, value));
  throttleTouchedAt = performance.now();
  inputElement("throttle").value = String(Math.round(clamped * 100));
  element("throttle-value").textContent = `${Math.round(clamped * 100)}%`;
  // Slider drags produce many input events, so at most one steer goes out every 150 ms.
  window.clearTimeout(throttleSendTimer);
  throttleSendTimer = window.setTimeout(() => steer({ throttle: clamped }, "Throttle"), 150);
}

/** @param {"rendezvous" | "match_orbit"} kind */
function startTargetManeuver(kind) {
  const id = ownShipId();
  if (id === null || !connection) return;
  if (targetId === null) {
    notify("No target", "Pick a station or ship as the target first.", "warn");
    return;
  }
  /** @type {Record<string, any>} */
  const message = { type: "maneuver", ship_id: id, kind, target_ship: targetId };
  if (kind === "rendezvous") {
    const standoff = Number(inputElement("standoff").value);
    const speed = Number(inputElement("approach-speed").value);
    if (standoff > 0) message.standoff_m = standoff;
    if (speed > 0) message.relative_speed_m_s = speed;
  }
  const target = world.ships.get(targetId);
  const targetName = target ? target.name : `ship ${targetId}`;
  const label = kind === "rendezvous" ? "Rendezvous" : "Match orbit";
  connection.send(message, label, () => notify("Autopilot engaged", `${label} with ${targetName}.`, "ok"));
}

function startTransfer() {
  const id = ownShipId();
  if (id === null || !connection || !lastScene) return;
  const bodyName = selectElement("transfer-body").value;
  const body = world.bodyByName.get(bodyName);
  if (!body) return;
  const altitude = Number(inputElement("transfer-alt").value) * 1000;
  const e = Number(inputElement("transfer-e").value);
  const inclination = Number(inputElement("transfer-i").value);
  const target = { a_m: body.radius + altitude, e, i_deg: inclination, raan_deg: 0, argp_deg: 0 };
  // The node and periapsis are targets too, so the current ones are sent to leave them unchanged.
  const ship = world.ownShip();
  const state = ship ? lastScene.ships.get(ship.id) : undefined;
  const origin = lastScene.bodies[body.index];
  if (state && origin) {
    const conic = conicFromState(sub(state.p, origin.p), sub(state.v, origin.v), body.gm);
    if (conic) {
      target.raan_deg = conic.raanDeg;
      target.argp_deg = conic.argpDeg;
    }
  }
  connection.send({ type: "maneuver", ship_id: id, kind: "transfer", body: bodyName, target }, "Transfer", () =>
    notify("Autopilot engaged", `Transfer to a ${Math.round(altitude / 1000)} km orbit of ${bodyName}.`, "ok"),
  );
}

function cancelManeuver() {
  const id = ownShipId();
  if (id === null || !connection) return;
  connection.send({ type: "cancel_maneuver", ship_id: id }, "Cancel maneuver");
}

function fillTransferBodies() {
  const select = selectElement("transfer-body");
  select.replaceChildren(
    ...world.bodies
      .filter((b) => b.name !== "Sun")
      .map((b) => {
        const option = document.createElement("option");
        option.value = b.name;
        option.textContent = b.name;
        return option;
      }),
  );
  select.value = "Earth";
}

// Camera and view

/**
 * @param {Focus} focus
 * @param {boolean} zoomToFit
 */
function setFocus(focus, zoomToFit) {
  if (lastScene) {
    const before = lastScene.center;
    const after = focusPosition(focus, lastScene);
    if (after) camera.offset = sub(before, after);
  }
  camera.focus = focus;
  if ("ship" in focus && !world.ships.get(focus.ship)?.own) targetId = focus.ship;
  if (zoomToFit) {
    if ("body" in focus) {
      const body = world.bodyByName.get(focus.body);
      // The Sun is framed with the inner planets, the others with room around their disc.
      let extent = 1e7;
      if (body) extent = body.parent ? body.radius * 5 : 4e11;
      camera.targetZoomLog = clampZoom(Math.log10(extent / Math.min(renderer.width, renderer.height)));
    } else {
      camera.targetZoomLog = Math.min(camera.targetZoomLog, 4.5);
    }
  }
  scheduleView();
  requestFrame();
}

/** @param {number} value */
function clampZoom(value) {
  return Math.min(maxZoomLog, Math.max(minZoomLog, value));
}

/** @param {number} steps positive zooms in */
function zoomBy(steps) {
  camera.targetZoomLog = clampZoom(camera.targetZoomLog - steps * 0.25);
  scheduleView();
  requestFrame();
}

/**
 * @param {Focus} focus
 * @param {Scene} scene
 * @returns {Vec3 | null}
 */
function focusPosition(focus, scene) {
  if ("ship" in focus) {
    const state = scene.ships.get(focus.ship);
    return state ? state.p : null;
  }
  const body = world.bodyByName.get(focus.body);
  const state = body ? scene.bodies[body.index] : undefined;
  return state ? state.p : null;
}

/** Sends a view request once the camera has been still for a moment. */
function scheduleView() {
  window.clearTimeout(viewTimer);
  viewTimer = window.setTimeout(() => {
    if (!connection || !connection.isOpen) return;
    const halfDiagonal = (Math.hypot(renderer.width, renderer.height) / 2) * 10 ** camera.targetZoomLog;
    // At least 100,000 km, so the stations around the player's planet stay pickable as targets.
    const radius = Math.min(1e13, Math.max(1e8, halfDiagonal * 1.2));
    connection.send({ type: "view", focus: camera.focus, radius_m: radius }, "View");
  }, 350);
}

// Animation loop: one pending frame at a time.

function requestFrame() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(drawFrame);
}

let lastDrawAt = performance.now();
let lastPanelAt = 0;

function drawFrame() {
  frameRequested = false;
  if (element("hud").hidden) return;
  const now = performance.now();
  const dt = Math.min(0.1, (now - lastDrawAt) / 1000);
  lastDrawAt = now;
  camera.zoomLog += (camera.targetZoomLog - camera.zoomLog) * Math.min(1, dt * 9);
  camera.offset = scale(camera.offset, Math.exp(-dt * 6));
  if (norm(camera.offset) < 1e-3) camera.offset = [0, 0, 0];

  const s = world.blend();
  const bodies = world.bodyStates(s);
  const ships = new Map();
  for (const ship of world.ships.values()) ships.set(ship.id, world.sample(ship.track, s));
  /** @type {Scene} */
  const scene = { center: [0, 0, 0], bodies, ships, picks: [] };
  let focusAt = focusPosition(camera.focus, scene);
  // A focused ship that left the view, or no longer exists after a server restart, hands the
  // focus back to the player's ship.
  if (!focusAt && "ship" in camera.focus && world.frames > 1) {
    const own = world.ownShip();
    if (own && own.id !== camera.focus.ship) {
      camera.focus = { ship: own.id };
      scheduleView();
      focusAt = focusPosition(camera.focus, scene);
    }
  }
  const base = focusAt || (lastScene ? lastScene.center : /** @type {Vec3} */ ([0, 0, 0]));
  scene.center = [base[0] + camera.offset[0], base[1] + camera.offset[1], base[2] + camera.offset[2]];

  if (world.frames > 0) renderer.draw(world, camera, scene, targetId);
  else renderer.resize();
  lastScene = scene;
  if (now - lastPanelAt > 200) {
    lastPanelAt = now;
    updatePanels(scene);
  }
  requestFrame();
}

/** Centres the map in the part of the screen the HUD leaves free. */
function updateClearArea() {
  let bottom = window.innerHeight;
  for (const panel of all(".dock, .panel")) {
    const rect = panel.getBoundingClientRect();
    // Only panels spanning most of the width at the bottom of the screen count.
    if (rect.height > 0 && rect.width > window.innerWidth * 0.5 && rect.bottom > window.innerHeight - 90) {
      bottom = Math.min(bottom, rect.top);
    }
  }
  const tabbar = element("tabbar").getBoundingClientRect();
  if (tabbar.height > 0) bottom = Math.min(bottom, tabbar.top);
  renderer.setClearArea(44, bottom);
}

/** @param {Scene} scene */
function updatePanels(scene) {
  updateClearArea();
  const own = world.ownShip();
  updateShipPanel(world, own, own ? scene.ships.get(own.id) : undefined, scene.bodies);
  updateObjectList(world, camera.focus, (focus) => setFocus(focus, true));
  updateTargetSelect(world, targetId);
  element("clock").textContent = world.frames > 0 ? formatGameTime(world.epochIso, world.displayTime()) : "—";
  const warp = element("warp");
  warp.hidden = !world.paused && world.warp === 1 && !world.degraded;
  if (world.paused) warp.textContent = "Paused";
  else if (world.degraded) warp.textContent = `Degraded ×${world.warp}`;
  else warp.textContent = `Warp ×${world.warp}`;
  if (own && own.detail) {
    for (const button of all("#modes button")) {
      button.classList.toggle("active", button.dataset.mode === own.detail.mode);
    }
    // The autopilot moves the throttle too, so the slider follows the server unless the user just moved it.
    if (performance.now() - throttleTouchedAt > 1500) {
      const percent = Math.round((own.detail.throttle || 0) * 100);
      inputElement("throttle").value = String(percent);
      element("throttle-value").textContent = `${percent}%`;
    }
  }
}

// Input

/** @param {PointerEvent | MouseEvent} event */
function pickAt(event) {
  if (!lastScene) return;
  const rect = renderer.canvas.getBoundingClientRect();
  const x = event.clientX - rect.left;
  const y = event.clientY - rect.top;
  let best = null;
  let bestDistance = Infinity;
  for (const pick of lastScene.picks) {
    const distance = Math.hypot(pick.x - x, pick.y - y);
    // Ships win ties with the planet they sit on, because their hit circle is drawn on top.
    const weight = "ship" in pick.focus ? distance - 6 : distance;
    if (distance <= pick.r && weight < bestDistance) {
      best = pick;
      bestDistance = weight;
    }
  }
  if (best && !sameFocus(best.focus, camera.focus)) setFocus(best.focus, false);
  else if (best && "ship" in best.focus && !world.ships.get(best.focus.ship)?.own) targetId = best.focus.ship;
}

function installPointerControls() {
  const canvas = renderer.canvas;
  /** @type {Map<number, {x: number, y: number}>} */
  const pointers = new Map();
  let moved = 0;
  let pinchDistance = 0;
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    moved = 0;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinchDistance = Math.hypot(a.x - b.x, a.y - b.y);
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    const previous = pointers.get(event.pointerId);
    if (!previous) return;
    const dx = event.clientX - previous.x;
    const dy = event.clientY - previous.y;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    moved += Math.abs(dx) + Math.abs(dy);
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      if (pinchDistance > 0) zoomBy(Math.log10(distance / pinchDistance) * 4);
      pinchDistance = distance;
      return;
    }
    // Dragging rotates the view: sideways about the ecliptic pole, up and down tilts it.
    camera.yaw += dx * 0.006;
    camera.pitch = Math.min(Math.PI / 2, Math.max(0, camera.pitch + dy * 0.006));
  });
  const release = (/** @type {PointerEvent} */ event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinchDistance = 0;
    if (event.type === "pointerup" && moved < 6 && pointers.size === 0) pickAt(event);
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      zoomBy(-Math.sign(event.deltaY) * Math.min(2, Math.abs(event.deltaY) / 100 + 0.5));
    },
    { passive: false },
  );
  canvas.addEventListener("dblclick", () => {
    camera.yaw = 0;
    camera.pitch = 0;
  });
}

const rcsKeys = /** @type {Record<string, [number, number]>} */ ({
  w: [0, 1],
  s: [0, -1],
  a: [1, 1],
  d: [1, -1],
  q: [2, 1],
  e: [2, -1],
});
/** @type {Set<string>} */
const rcsHeld = new Set();

function sendRcs() {
  /** @type {Vec3} */
  const next = [0, 0, 0];
  for (const key of rcsHeld) {
    const [axis, sign] = rcsKeys[key];
    next[axis] += sign;
  }
  if (next.every((value, index) => value === rcs[index])) return;
  rcs = next;
  for (const button of all(".rcs button")) {
    button.classList.toggle("active", rcsHeld.has(button.dataset.rcs || ""));
  }
  steer({ rcs: next }, "RCS");
}

function installKeyboard() {
  window.addEventListener("keydown", (event) => {
    const target = /** @type {HTMLElement} */ (event.target);
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
    if (element("hud").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key in rcsKeys) {
      if (!event.repeat) {
        rcsHeld.add(key);
        sendRcs();
      }
      event.preventDefault();
      return;
    }
    const throttle = Number(inputElement("throttle").value) / 100;
    if (key === "x") setThrottle(0);
    else if (key === "z") setThrottle(1);
    else if (key === "shift") setThrottle(throttle + 0.1);
    else if (key === "control") setThrottle(throttle - 0.1);
    else if (key === "+" || key === "=") zoomBy(1);
    else if (key === "-" || key === "_") zoomBy(-1);
    else if (key === "f") focusOwnShip();
    else if (key === "t" && targetId !== null) setFocus({ ship: targetId }, false);
    else return;
    event.preventDefault();
  });
  window.addEventListener("keyup", (event) => {
    const key = event.key.toLowerCase();
    if (rcsHeld.delete(key)) sendRcs();
  });
  window.addEventListener("blur", () => {
    rcsHeld.clear();
    sendRcs();
  });
}

function focusOwnShip() {
  const id = ownShipId();
  if (id !== null) setFocus({ ship: id }, true);
}

function syncTabs() {
  for (const button of all(".tabbar button")) {
    const tab = button.dataset.show;
    button.classList.toggle("active", tab === document.body.dataset.tab);
  }
}

function installPanels() {
  for (const toggle of all(".panel-toggle")) {
    toggle.addEventListener("click", () => {
      const panel = /** @type {HTMLElement} */ (toggle.closest(".panel"));
      const collapsed = panel.classList.toggle("collapsed");
      toggle.setAttribute("aria-expanded", String(!collapsed));
    });
  }
  for (const button of all(".tabbar button")) {
    button.addEventListener("click", () => {
      const tab = button.dataset.show || "";
      document.body.dataset.tab = document.body.dataset.tab === tab ? "" : tab;
      syncTabs();
      updateClearArea();
    });
  }
  for (const button of all("#modes button")) {
    button.addEventListener("click", () => setMode(button.dataset.mode || "hold"));
  }
  for (const button of all(".rcs button")) {
    const key = button.dataset.rcs || "";
    button.addEventListener("pointerdown", () => {
      rcsHeld.add(key);
      sendRcs();
    });
    for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
      button.addEventListener(type, () => {
        if (rcsHeld.delete(key)) sendRcs();
      });
    }
  }

  inputElement("throttle").addEventListener("input", () => setThrottle(Number(inputElement("throttle").value) / 100));
  element("throttle-cut").addEventListener("click", () => setThrottle(0));
  element("throttle-full").addEventListener("click", () => setThrottle(1));
  element("rendezvous").addEventListener("click", () => startTargetManeuver("rendezvous"));
  element("match-orbit").addEventListener("click", () => startTargetManeuver("match_orbit"));
  element("transfer").addEventListener("click", startTransfer);
  element("cancel-maneuver").addEventListener("click", cancelManeuver);
  element("zoom-in").addEventListener("click", () => zoomBy(2));
  element("zoom-out").addEventListener("click", () => zoomBy(-2));
  element("focus-ship").addEventListener("click", focusOwnShip);
  selectElement("target-select").addEventListener("change", () => {
    const value = selectElement("target-select").value;
    targetId = value ? Number(value) : null;
  });

  element("logout").addEventListener("click", async () => {
    const current = token;
    endSession("");
    if (current) await api.logout(current).catch(() => undefined);
  });
  element("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    authenticate("login");
  });
  element("register-button").addEventListener("click", () => {
    const form = /** @type {HTMLFormElement} */ (element("login-form"));
    if (form.reportValidity()) authenticate("register");
  });
  window.addEventListener("resize", () => {
    if (element("hud").hidden) drawLoginBackground();
    scheduleView();
    requestFrame();
  });
}

installPanels();
installPointerControls();
installKeyboard();
if (token) startSession();
else drawLoginBackground();
