// Admin dashboard entry point: token sign-in, status and metrics polling, and simulation controls.

import { AdminError, fetchMetrics, fetchStatus, loadToken, pause, resume, setWarp, storeToken } from "./api.js";
import { element, formatDuration, formatNumber, inputElement, setText, showError, toast } from "./dom.js";
import { HealthPlots } from "./health.js";
import { PeoplePanel } from "./people.js";

/** @typedef {import("./api.js").Status} Status */

/** Milliseconds between status and metrics polls. */
const pollIntervalMs = 1500;
/** Milliseconds between refreshes of the players table and the open ship. */
const peopleIntervalMs = 5000;

let token = loadToken() || "";
/** @type {HealthPlots | null} */
let plots = null;
const people = new PeoplePanel(() => token);
let pollTimer = 0;
let peopleTimer = 0;

/**
 * Explains an admin API failure, with the fix for the two token errors.
 * @param {unknown} err
 */
function describe(err) {
  if (err instanceof AdminError && err.status === 401) {
    return `The admin token was rejected (401: ${err.message}). Check the token and sign in again.`;
  }
  if (err instanceof AdminError && err.status === 403) {
    return `The admin API is disabled (403: ${err.message}). Restart the server with --admin-token TOKEN or GALAXY_ADMIN_TOKEN.`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** @param {string} message shown on the sign-in card, or empty to sign in without one */
function showSignIn(message) {
  clearTimeout(pollTimer);
  clearInterval(peopleTimer);
  element("console").hidden = true;
  element("login").hidden = false;
  showError(element("login-error"), message);
  inputElement("token").focus();
}

/**
 * Checks the token with one status call, then shows the console and starts polling.
 * @param {string} candidate
 */
async function signIn(candidate) {
  try {
    const status = await fetchStatus(candidate);
    token = candidate;
    storeToken(token);
    element("login").hidden = true;
    element("console").hidden = false;
    plots = plots || new HealthPlots();
    renderStatus(status);
    inputElement("warp-input").value = String(status.requested_warp);
    void poll();
    void people.refresh();
    peopleTimer = setInterval(() => void people.refresh(), peopleIntervalMs);
  } catch (err) {
    storeToken(null);
    showSignIn(describe(err));
  }
}

/** Samples status and metrics once and schedules the next poll. */
async function poll() {
  clearTimeout(pollTimer);
  const link = element("link");
  try {
    const [status, metrics] = await Promise.all([fetchStatus(token), fetchMetrics()]);
    renderStatus(status);
    plots?.record(Date.now(), metrics);
    showError(element("poll-error"), "");
    link.className = "link open";
    setText(element("link-text"), "Live");
  } catch (err) {
    plots?.recordGap();
    link.className = "link";
    setText(element("link-text"), "No data");
    if (err instanceof AdminError && (err.status === 401 || err.status === 403)) {
      storeToken(null);
      showSignIn(describe(err));
      return;
    }
    showError(element("poll-error"), `Polling the server failed: ${describe(err)} Retrying every ${pollIntervalMs / 1000} s.`);
  }
  pollTimer = setTimeout(() => void poll(), pollIntervalMs);
}

/** @param {Status} status */
function renderStatus(status) {
  const state = element("badge-state");
  setText(state, status.paused ? "Paused" : "Running");
  state.classList.toggle("paused", status.paused);
  element("badge-degraded").hidden = !status.degraded;
  const warp = element("badge-warp");
  const lowered = status.effective_warp < status.requested_warp;
  setText(warp, lowered
    ? `Warp ${formatNumber(status.effective_warp, 0)}× of ${formatNumber(status.requested_warp, 0)}×`
    : `Warp ${formatNumber(status.effective_warp, 0)}×`);
  warp.classList.toggle("warn", lowered);
  setText(element("s-tick"), formatNumber(status.tick, 0));
  setText(element("s-game-time"), formatDuration(status.game_time_s));
  setText(element("s-rate"), `${formatNumber(status.actual_rate_hz, 2)} Hz`);
  setText(element("s-last-tick"), `${formatNumber(status.last_tick_ms, 2)} ms`);
  setText(element("s-overruns"), `${formatNumber(status.overruns, 0)} / ${formatNumber(status.skipped_ticks, 0)} skipped`);
  setText(element("s-ships"), formatNumber(status.ships, 0));
  // Both buttons stay enabled because the engine applies a pause or resume only at its next tick,
  // so the polled state can lag a click by a tick interval.
  element("pause").classList.toggle("active", status.paused);
}

/**
 * Runs one control call and reports its outcome under the controls and as a toast.
 * @param {string} label past-tense description of the action, for the success message
 * @param {() => Promise<unknown>} action
 */
async function control(label, action) {
  const message = element("control-message");
  try {
    await action();
    message.className = "control-message ok";
    setText(message, `${label}. The engine applies it at the next tick.`);
    message.hidden = false;
    toast("Done", label, "ok");
    void poll();
  } catch (err) {
    message.className = "control-message error";
    setText(message, `Rejected by the server: ${describe(err)}`);
    message.hidden = false;
  }
}

/** @param {number} warp */
function requestWarp(warp) {
  inputElement("warp-input").value = String(warp);
  void control(`Time warp set to ${formatNumber(warp, warp % 1 ? 2 : 0)}×`, () => setWarp(token, warp));
}

element("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const candidate = inputElement("token").value.trim();
  if (candidate) void signIn(candidate);
});
element("sign-out").addEventListener("click", () => {
  storeToken(null);
  token = "";
  inputElement("token").value = "";
  showSignIn("");
});
element("pause").addEventListener("click", () => void control("Simulation paused", () => pause(token)));
element("resume").addEventListener("click", () => void control("Simulation resumed", () => resume(token)));
element("warp-form").addEventListener("submit", (event) => {
  event.preventDefault();
  // The server checks the range, so an out-of-range value shows the server's own message.
  requestWarp(Number(inputElement("warp-input").value));
});
document.querySelectorAll("[data-warp]").forEach((preset) => {
  preset.addEventListener("click", () => requestWarp(Number(/** @type {HTMLElement} */ (preset).dataset.warp)));
});

if (token) void signIn(token);
else showSignIn("");
