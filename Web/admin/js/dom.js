// Small DOM helpers shared by the admin modules: typed element lookup, text updates and toasts.

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`missing element #${id} in admin/index.html`);
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
 * Sets the text of an element only when it changed, so that polling does not churn the DOM.
 * @param {HTMLElement} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Shows `message` in an error paragraph, or hides it when `message` is empty.
 * @param {HTMLElement} node
 * @param {string} message
 */
export function showError(node, message) {
  setText(node, message);
  node.hidden = !message;
}

/**
 * Appends a definition list row.
 * @param {HTMLElement} list
 * @param {string} term
 * @param {string} value
 */
export function addRow(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

/**
 * Shows a notification for a few seconds.
 * @param {string} title
 * @param {string} text
 * @param {"ok" | "warn" | "error" | ""} kind
 */
export function toast(title, text, kind) {
  const box = element("toasts");
  const note = document.createElement("div");
  note.className = `toast ${kind}`;
  const heading = document.createElement("b");
  heading.textContent = title;
  note.append(heading, document.createTextNode(text));
  box.append(note);
  while (box.children.length > 4) box.firstElementChild?.remove();
  setTimeout(() => {
    note.classList.add("leaving");
    setTimeout(() => note.remove(), 400);
  }, kind === "error" ? 7000 : 3500);
}

/**
 * Formats a number with a fixed count of decimals and thousands separators, or a dash if it is missing.
 * @param {number | null | undefined} value
 * @param {number} decimals
 */
export function formatNumber(value, decimals) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/**
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "—";
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

/**
 * Formats seconds as days, hours, minutes and seconds.
 * @param {number} seconds
 */
export function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const clock = `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}:${String(rest).padStart(2, "0")}`;
  return days > 0 ? `${days}d ${clock}` : clock;
}
