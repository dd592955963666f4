// The console shell: login, the user's stores, the role's menu and a hash router (#/screen/arg).
import { api, hasToken, setToken, token } from "./api.js";
import * as live from "./live.js";
import { lang, setLang, t, translatePage } from "./i18n.js";
import { busy, field, fill, form, h, input } from "./ui.js";
import * as reception from "./screens/reception.js";
import * as quote from "./screens/quote.js";
import * as board from "./screens/board.js";
import * as technician from "./screens/technician.js";
import * as cashier from "./screens/cashier.js";
import * as inventory from "./screens/inventory.js";
import * as crm from "./screens/crm.js";
import * as dashboard from "./screens/dashboard.js";
import * as campaigns from "./screens/campaigns.js";
import * as approvals from "./screens/approvals.js";
import * as technicians from "./screens/technicians.js";
import * as users from "./screens/users.js";
import * as store from "./screens/store.js";
import * as payables from "./screens/payables.js";
import * as accounts from "./screens/accounts.js";
import * as claims from "./screens/claims.js";
import * as partners from "./screens/partners.js";
import * as messages from "./screens/messages.js";
import * as catalogue from "./screens/catalogue.js";
import * as fapiao from "./screens/fapiao.js";
import * as commission from "./screens/commission.js";
import * as people from "./screens/people.js";
import * as healthRecords from "./screens/health_records.js";
import * as reconcile from "./screens/reconcile.js";

// Every screen the console has; which of them a user opens (and in which order, from which home) is
// the role policy's answer in /v1/me (services/common/policy.py), never a list kept here.
const SCREENS = { reception, quotes: quote, board, tech: technician, cashier, fapiao, inventory, crm, messages, dashboard,
                  campaigns, approvals, technicians, users, store, payables, accounts, claims, catalogue,
                  partners, commission, people, health_records: healthRecords, reconcile };
// The top bar's menus by area: one line on a 1366 px counter however many screens a role has. An area
// with one screen of the role is its link; a screen no area names goes under the last one.
const AREAS = [
  ["menu_front", ["reception", "quotes", "crm", "messages"]],
  ["menu_workshop", ["board", "tech", "technicians"]],
  ["menu_stock_till", ["inventory", "cashier", "fapiao", "reconcile", "payables", "accounts", "claims"]],
  ["menu_manage", ["dashboard", "campaigns", "approvals", "commission", "people", "users", "store", "health_records", "catalogue", "partners"]],
];

// The store picker holds every store of the user's (HQ: the whole chain, past one page of 200).
const MAX_STORES = 10000;
const main = document.getElementById("main");
const ctx = { user: null, stores: [], store: null };

const allowed = (name) => ctx.user.screens.includes(name) && name in SCREENS;

function loginScreen() {
  document.querySelector(".topbar").hidden = true;
  const submit = h("button", { class: "primary", type: "submit", text: t("login") });
  const loginForm = form({ class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    const body = { username: loginForm.username.value.trim(), password: loginForm.password.value };
    const reply = await busy(submit, loginForm, () => api.post("/v1/auth/login", body));
    if (reply) {
      setToken(reply.access_token);
      await start();
    }
  } },
  h("h1", { text: t("brand") }),
  field("username", input("username", { autocomplete: "username", required: true })),
  field("password", input("password", { type: "password", autocomplete: "current-password", required: true })),
  submit,
  h("p", {}, h("button", { type: "button", class: "link", text: t("switch_lang"), onclick: toggleLang })));
  fill(main, loginForm);
}

function toggleLang() {
  setLang(lang() === "zh" ? "en" : "zh");
  ctx.user ? render() : loginScreen();
}

function renderChrome() {
  const bar = document.querySelector(".topbar");
  bar.hidden = false;
  const current = location.hash.split("/")[1];
  fill(document.getElementById("nav"), ...menus(current));
  const picker = document.getElementById("store");
  fill(picker, ...ctx.stores.map((s) => h("option", { value: s.id, text: s.name })));
  picker.value = ctx.store?.id ?? "";
  document.getElementById("who").textContent = `${ctx.user.display_name || ctx.user.username} · ${t(`role_${ctx.user.role}`)}`;
  document.getElementById("lang").textContent = lang() === "zh" ? "EN" : "中文";
  translatePage(bar);
  countWaiting();
}

function menus(current) {
  const placed = new Set(AREAS.flatMap(([, names]) => names));
  const unplaced = Object.keys(SCREENS).filter((name) => !placed.has(name));
  const link = (name) => h("a", { href: `#/${name}`, class: name === current ? "active" : "",
    "aria-current": name === current ? "page" : null, text: t(`nav_${name}`) });
  return AREAS.map(([key, names], index) => [key, [...names, ...(index === AREAS.length - 1 ? unplaced : [])].filter(allowed)])
    .filter(([, names]) => names.length)
    .map(([key, names]) => {
      if (names.length === 1) return link(names[0]);
      const list = h("ul", { class: "menu-list", id: `menu-${key}`, hidden: true }, names.map((name) => h("li", {}, link(name))));
      const toggle = h("button", { type: "button", class: `menu-toggle${names.includes(current) ? " active" : ""}`,
        "aria-expanded": "false", "aria-controls": list.id, "data-menu": key, text: t(key),
        onclick: () => openMenu(list.hidden ? toggle : null) });
      return h("div", { class: "menu" }, toggle, list);
    });
}

/** Opens the menu of `toggle` and closes the others (none: all closed). */
function openMenu(toggle) {
  for (const each of document.querySelectorAll("#nav .menu-toggle")) {
    each.setAttribute("aria-expanded", String(each === toggle));
    document.getElementById(each.getAttribute("aria-controls")).hidden = each !== toggle;
  }
}

document.addEventListener("click", (event) => { if (!event.target.closest("#nav .menu")) openMenu(null); });
document.getElementById("nav").addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const toggle = event.target.closest(".menu")?.querySelector(".menu-toggle");
  openMenu(null);
  toggle?.focus();
});
document.getElementById("nav").addEventListener("focusout", (event) => {
  if (!event.relatedTarget || !event.currentTarget.contains(event.relatedTarget)) openMenu(null);
});

// The approvals badge: how many quotes and refunds wait for a manager, counted again on every screen, after each
// approval or rejection and whenever the live stream says a quote's wait began or ended (every minute
// while the stream is down).
const COUNT_EVERY_MS = 60_000;
let waiting = 0;

let disabledHooks = 0; // the user's own webhooks disabled after failing: their owner is told on the menu

function showCount(el, count) {
  el.querySelector(".count")?.remove();
  if (count) el.append(" ", h("span", { class: "badge count", "data-count": count, text: String(count) }));
}

/** Each count on its screen's link and, summed, on the menu holding it (seen while the menu is closed). */
function showWaiting() {
  const perMenu = new Map();
  for (const [screen, count] of Object.entries({ approvals: waiting, partners: disabledHooks })) {
    const link = document.querySelector(`#nav a[href="#/${screen}"]`);
    if (!link) continue;
    showCount(link, count);
    const toggle = link.closest(".menu")?.querySelector(".menu-toggle");
    if (toggle) perMenu.set(toggle, (perMenu.get(toggle) ?? 0) + count);
  }
  for (const [toggle, count] of perMenu) showCount(toggle, count);
}

async function countWaiting() {
  showWaiting();
  if (!ctx.user) return;
  if (allowed("approvals")) waiting = await approvals.pendingCount(ctx).catch(() => waiting);
  if (allowed("partners")) disabledHooks = (await partners.disabledOfMine().catch(() => [])).length;
  showWaiting();
}

window.addEventListener(approvals.CHANGED, (event) => { // with the count when the sender has it
  if (Number.isInteger(event.detail)) { waiting = event.detail; showWaiting(); } else countWaiting();
});
live.watch(document.body, approvals.EVENTS, () => ctx.user && countWaiting(), COUNT_EVERY_MS);
window.addEventListener(store.CHANGED, async () => { // a renamed store shows in the picker at once
  ctx.stores = await api.all("/v1/stores", {}, MAX_STORES);
  const first = !ctx.store; // the chain's first store: the console opens on it
  ctx.store = ctx.stores.find((s) => s.id === ctx.store?.id) || ctx.store || ctx.stores[0] || null;
  if (first) render(); else renderChrome();
});

/** No store to work in: HQ opens the chain's first; anybody else is told to ask for one. */
function renderNoStore() {
  renderChrome();
  document.title = t("brand");
  const screen = h("section", { class: "screen", "data-screen": "no-store" });
  fill(main, screen);
  if (ctx.user.sees_every_store) store.renderFirst(screen);
  else screen.append(h("p", { class: "hint", id: "no-store", text: t("no_store_assigned") }));
}

function render() {
  if (!ctx.store) {
    renderNoStore();
    return;
  }
  const [, name = ctx.user.home, ...args] = location.hash.split("/");
  if (!allowed(name)) {
    location.hash = `#/${ctx.user.home}`;
    return;
  }
  renderChrome();
  live.follow(ctx.store?.id, token());
  document.title = `${t(`nav_${name}`)} · ${t("brand")}`;
  const screen = h("section", { class: "screen", "data-screen": name });
  fill(main, screen);
  SCREENS[name].render(screen, { ...ctx, tz: ctx.store?.timezone || "Asia/Shanghai", args: args.map(decodeURIComponent) });
}

async function start() {
  try {
    ctx.user = await api.get("/v1/me");
    ctx.stores = await api.all("/v1/stores", {}, MAX_STORES);
  } catch {
    setToken(null);
    loginScreen();
    return;
  }
  const saved = sessionStorage.getItem("store");
  ctx.store = ctx.stores.find((s) => s.id === saved) || ctx.stores[0] || null;
  render();
}

document.getElementById("store").addEventListener("change", (event) => {
  ctx.store = ctx.stores.find((s) => s.id === event.target.value);
  sessionStorage.setItem("store", ctx.store.id);
  render();
});
document.getElementById("lang").addEventListener("click", toggleLang);
document.getElementById("logout").addEventListener("click", () => {
  live.follow(null);
  setToken(null);
  ctx.user = null;
  location.hash = "";
  loginScreen();
});
window.addEventListener("hashchange", () => ctx.user && render());
window.addEventListener("session-expired", () => { ctx.user = null; live.follow(null); loginScreen(); });

document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
hasToken() ? start() : loginScreen();
