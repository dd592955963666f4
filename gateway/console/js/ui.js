// Small DOM helpers shared by every screen: elements, form fields, errors next to their field,
// busy buttons and step-by-step progress for multi-call actions.
import { errorWords, fieldWords, t, worded as word } from "./i18n.js";

const OPERABLE = new Set(["a", "button", "input", "select", "textarea", "label", "summary", "option", "form"]);

/** A list item, row or card that opens something on click is reached with Tab and opened with Enter
 * or Space like a button (a `div` is also announced as one; a list's items stay list items). */
function operableByKeyboard(el) {
  el.tabIndex = 0;
  if (el.tagName === "DIV") el.setAttribute("role", "button");
  el.addEventListener("keydown", (event) => {
    if (event.target !== el || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    el.click();
  });
}

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "onclick" && !OPERABLE.has(tag)) operableByKeyboard(el);
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name in el && name !== "list") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces `el`'s children with `children`, leaving out null, undefined and false (a child that is
 * not there), so a screen never prints `null`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return el;
}

/** Starts a load into `el` and answers whether it is still the newest: of overlapping loads (a live
 * refresh over the first one) only the last draws, so a list is never drawn twice. */
export function newest(el) {
  const turn = (el.loads = (el.loads || 0) + 1);
  return () => el.loads === turn;
}

/** A labelled control with a slot for its own error; `name` is the API field it feeds. */
export function field(labelKey, control, hint) {
  return h("label", { class: "field", "data-field": control.name },
    h("span", { text: t(labelKey) }), control, hint ? h("small", { class: "hint", text: hint }) : null,
    h("small", { class: "field-error" }));
}

export const input = (name, attrs = {}) => h("input", { name, ...attrs });

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
/** A month as the API takes it: 2026-12. */
export const isMonth = (text) => MONTH.test(text);
const isDay = (text) => DAY.test(text) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

/** Days and times of day typed and shown one way, 2026-12-06 and 14:30, whatever the browser's
 * language (Chromium's own date and time inputs follow it: 12/06/2026, 02:30 PM in an English one).
 * The value is what the API takes; a day that is not on the calendar is refused at the field. */
function formatted(name, attrs, ok, placeholder, problem) {
  const el = h("input", { name, ...attrs, type: "text", inputmode: "numeric", autocomplete: "off",
    maxlength: attrs.maxlength ?? placeholder.length, placeholder: t(placeholder), class: "formatted" });
  const check = () => { // said under the field at once (the console's forms leave judging to the API)
    const said = !el.value || ok(el.value.trim()) ? "" : t(problem);
    el.setCustomValidity(said);
    const slot = el.closest(".field");
    slot?.classList.toggle("invalid", Boolean(said));
    if (slot?.querySelector(".field-error")) slot.querySelector(".field-error").textContent = said;
  };
  el.addEventListener("input", check);
  el.addEventListener("change", () => { el.value = el.value.trim(); check(); });
  return el;
}

export const dateInput = (name, attrs = {}) => formatted(name, attrs, isDay, "date_placeholder", "date_invalid");

export const monthInput = (name, attrs = {}) =>
  formatted(name, { maxlength: 7, ...attrs }, isMonth, "month_placeholder", "month_invalid");

export const timeInput = (name, attrs = {}) =>
  formatted(name, { ...attrs, value: attrs.value ? String(attrs.value).slice(0, 5) : attrs.value }, (text) => CLOCK.test(text),
    "time_placeholder", "time_invalid");

/** A file input worded by the console, not by the browser (whose "Choose File · No file chosen" follows
 * the browser's own language): the input is kept (its `files`, its name) inside a label that opens it. */
export function filePicker(fileInput) {
  const chosen = h("span", { class: "chosen", text: t("no_file_chosen") });
  fileInput.addEventListener("change", () => {
    const names = [...fileInput.files].map((file) => file.name);
    chosen.textContent = names.length ? names.join("、") : t("no_file_chosen");
  });
  return h("label", { class: "file-choice" }, fileInput,
    h("span", { class: "pick", text: t(fileInput.hasAttribute("capture") ? "take_photo" : "choose_files") }), chosen);
}

export function select(name, options, attrs = {}) {
  return h("select", { name, ...attrs },
    options.map(([value, label]) => h("option", { value, text: label })));
}

export function form(props, ...children) {
  return h("form", { novalidate: true, ...props }, ...children, h("div", { class: "form-error" }));
}

function flatten(messages, prefix = "") {
  if (Array.isArray(messages)) return [[prefix, messages.map((m) => fieldWords(String(m))).join(" ")]];
  if (messages && typeof messages === "object") {
    return Object.entries(messages).flatMap(([key, value]) => flatten(value, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, fieldWords(String(messages))]];
}

export function clearErrors(scope) {
  scope.querySelectorAll(".field-error, .form-error").forEach((el) => { el.textContent = ""; });
  scope.querySelectorAll(".field.invalid").forEach((el) => el.classList.remove("invalid"));
}

/** Puts each of the API's field messages under the control named like it (`lines.0.qty`, then
 * `lines`); what has no control goes to the form's own error line. Nothing typed is touched. */
export function showError(scope, error) {
  clearErrors(scope);
  const leftovers = [];
  const worded = errorWords(error); // a rule's code: its words replace the API's English everywhere
  for (const [path, said] of flatten(error.fields || {})) {
    const message = worded ?? said;
    const names = [path, path.split(".")[0]];
    const slot = names.map((n) => scope.querySelector(`[data-field="${CSS.escape(n)}"]`)).find(Boolean);
    if (slot) {
      slot.classList.add("invalid");
      slot.querySelector(".field-error").textContent = message;
    } else if (!worded) { // worded, the general line says it
      leftovers.push(path ? `${word(path) ?? path}: ${message}` : message);
    }
  }
  const general = scope.querySelector(".form-error") || document.getElementById("toast");
  general.dataset.code = error.code || "";
  general.dataset.status = error.status ?? ""; // staff read no HTTP statuses; tests and support may
  const lead = worded ?? (error.code === "validation_failed" ? t("fix_fields") : error.message);
  general.textContent = [lead, ...leftovers].join(" · ");
  if (general.id === "toast") flash(general.textContent);
}

export function flash(message) {
  const toast = document.getElementById("toast");
  toast.textContent = message;
  toast.classList.add("show");
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => toast.classList.remove("show"), 4000);
}

/** Runs `action` with `button` busy and returns its result; on an API error it returns null and
 * shows the error in `scope` (the form), whose inputs keep what was typed for a retry. */
export async function busy(button, scope, action) {
  const label = button.textContent;
  button.disabled = true;
  button.classList.add("busy");
  button.textContent = t("working");
  clearErrors(scope);
  try {
    return await action();
  } catch (error) {
    showError(scope, error);
    return null;
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
    button.textContent = label;
  }
}

/** A list of named steps; `run(key, fn)` skips a step done on an earlier attempt, so a retry
 * continues where the failure happened. */
export function steps(keys) {
  const done = new Map();
  const list = h("ol", { class: "steps" }, keys.map((key) => h("li", { "data-step": key, text: t(key) })));
  const mark = (key, state) => { list.querySelector(`[data-step="${key}"]`).className = state; };
  return {
    element: list,
    async run(key, fn) {
      if (done.has(key)) return done.get(key);
      mark(key, "running");
      try {
        const result = await fn();
        done.set(key, result);
        mark(key, "done");
        return result;
      } catch (error) {
        mark(key, "failed");
        throw error;
      }
    },
    reset() { done.clear(); keys.forEach((key) => mark(key, "")); },
  };
}

/** A card whose content comes from `load()`; an API error is shown in words in it. */
export function loading(id, load) {
  const card = h("div", { class: "card", id }, h("p", { class: "hint", text: t("loading") }));
  load().then((children) => fill(card, ...children)).catch((error) => {
    fill(card, h("div", { class: "form-error" }));
    showError(card, error);
  });
  return card;
}

export function values(formEl) {
  return Object.fromEntries(new FormData(formEl).entries());
}

export function table(headers, rows) {
  return h("table", {},
    h("thead", {}, h("tr", {}, headers.map(([key, cls]) => h("th", { class: cls, text: key ? t(key) : "" })))),
    h("tbody", {}, rows));
}

export const badge = (text, kind = "") => h("span", { class: `badge ${kind}`, text });

/** Fetches a PDF with the token and opens it; a missing route shows as an error. */
export async function openPdf(button, api, path) {
  const blob = await busy(button, button.parentElement, () => api.blob(path));
  if (blob) window.open(URL.createObjectURL(blob), "_blank");
}

/** 导出 CSV / 导出 Excel for a list or report: every row, all pages (the gateway walks them), saved as
 * `<name>.csv|xlsx`; `query()` gives the filters the screen shows now. */
export function exportButtons(api, path, query, name) {
  const box = h("span", { class: "export" });
  const button = (format) => h("button", { type: "button", class: "secondary", "data-export": format,
    text: t(`export_${format}`), onclick: async (event) => {
      const blob = await busy(event.target, box, () => api.export(path, query(), format));
      if (!blob) return;
      const link = h("a", { href: URL.createObjectURL(blob), download: `${name}.${format}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } });
  box.append(button("csv"), " ", button("xlsx"), h("span", { class: "form-error" }));
  return box;
}

export function printButton(api, path) {
  const button = h("button", { type: "button", class: "secondary", text: t("print"), "data-print": path });
  button.addEventListener("click", () => openPdf(button, api, path));
  return h("span", { class: "print" }, button, h("span", { class: "form-error" }));
}

/** Tab buttons over one body; `tabs` maps a key (its label is t(key)) to a function making its content. */
export function tabbed(tabs, first = Object.keys(tabs)[0]) {
  const body = h("div", { class: "tab-body" });
  const bar = h("div", { class: "row tabs" });
  const show = (key) => {
    body.replaceChildren(tabs[key]());
    bar.querySelectorAll("button").forEach((b) => {
      b.classList.toggle("primary", b.dataset.tab === key);
      b.classList.toggle("secondary", b.dataset.tab !== key);
    });
  };
  bar.append(...Object.keys(tabs).map((key) => h("button", { type: "button", class: "secondary", "data-tab": key, text: t(key), onclick: () => show(key) })));
  show(first);
  return h("div", {}, bar, body);
}
