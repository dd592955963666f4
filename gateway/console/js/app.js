// The console shell: login, the user's stores, the role's menu and a hash router (#/screen/arg).
import { api, hasToken, setToken } from "./api.js";
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
import * as approvals from "./screens/approvals.js";
import * as technicians from "./screens/technicians.js";
import * as users from "./screens/users.js";
import * as store from "./screens/store.js";
import * as payables from "./screens/payables.js";
import * as partners from "./screens/partners.js";
import * as messages from "./screens/messages.js";

const FRONT = ["hq_admin", "store_manager", "service_advisor"];
const SCREENS = {
  reception: { module: reception, roles: FRONT },
  quotes: { module: quote, roles: FRONT },
  board: { module: board, roles: FRONT },
  tech: { module: technician, roles: ["technician", "store_manager"] },
  cashier: { module: cashier, roles: ["hq_admin", "store_manager", "cashier"] },
  inventory: { module: inventory, roles: ["hq_admin", "store_manager", "service_advisor"] },
  crm: { module: crm, roles: FRONT },
  messages: { module: messages, roles: FRONT },
  dashboard: { module: dashboard, roles: ["hq_admin", "store_manager"] },
  approvals: { module: approvals, roles: ["hq_admin", "store_manager"] },
  technicians: { module: technicians, roles: ["hq_admin", "store_manager"] },
  users: { module: users, roles: ["hq_admin", "store_manager"] },
  store: { module: store, roles: ["hq_admin", "store_manager"] },
  payables: { module: payables, roles: ["hq_admin", "store_manager"] },
  partners: { module: partners, roles: ["hq_admin", "store_manager"] },
};
const HOME = { hq_admin: "dashboard", store_manager: "board", service_advisor: "reception",
               technician: "tech", cashier: "cashier" };

const main = document.getElementById("main");
const ctx = { user: null, stores: [], store: null };

const allowed = (name) => SCREENS[name]?.roles.includes(ctx.user.role);

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
  fill(document.getElementById("nav"), ...Object.keys(SCREENS).filter(allowed).map((name) =>
    h("a", { href: `#/${name}`, class: name === current ? "active" : "", text: t(`nav_${name}`) })));
  const picker = document.getElementById("store");
  fill(picker, ...ctx.stores.map((s) => h("option", { value: s.id, text: s.name })));
  picker.value = ctx.store?.id ?? "";
  document.getElementById("who").textContent = `${ctx.user.display_name || ctx.user.username} · ${t(`role_${ctx.user.role}`)}`;
  document.getElementById("lang").textContent = lang() === "zh" ? "EN" : "中文";
  translatePage(bar);
  countWaiting();
}

// The approvals badge: how many quotes wait for a manager, counted again on every screen, after each
// approval or rejection and every minute.
const COUNT_EVERY_MS = 60_000;
let waiting = 0;

function showWaiting() {
  const link = document.querySelector('#nav a[href="#/approvals"]');
  if (!link) return;
  link.querySelector(".count")?.remove();
  if (waiting) link.append(" ", h("span", { class: "badge count", "data-count": waiting, text: String(waiting) }));
}

async function countWaiting() {
  showWaiting();
  if (!ctx.user || !allowed("approvals")) return;
  waiting = await approvals.pendingCount(ctx).catch(() => waiting);
  showWaiting();
}

window.addEventListener(approvals.CHANGED, (event) => { // with the count when the sender has it
  if (Number.isInteger(event.detail)) { waiting = event.detail; showWaiting(); } else countWaiting();
});
setInterval(() => ctx.user && countWaiting(), COUNT_EVERY_MS);
window.addEventListener(store.CHANGED, async () => { // a renamed store shows in the picker at once
  ctx.stores = (await api.get("/v1/stores", { limit: 200 })).items;
  ctx.store = ctx.stores.find((s) => s.id === ctx.store?.id) || ctx.store;
  renderChrome();
});

function render() {
  const [, name = HOME[ctx.user.role], ...args] = location.hash.split("/");
  if (!allowed(name)) {
    location.hash = `#/${HOME[ctx.user.role]}`;
    return;
  }
  renderChrome();
  document.title = `${t(`nav_${name}`)} · ${t("brand")}`;
  const screen = h("section", { class: "screen", "data-screen": name });
  fill(main, screen);
  SCREENS[name].module.render(screen, { ...ctx, tz: ctx.store?.timezone || "Asia/Shanghai", args: args.map(decodeURIComponent) });
}

async function start() {
  try {
    ctx.user = await api.get("/v1/me");
    ctx.stores = (await api.get("/v1/stores", { limit: 200 })).items;
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
  setToken(null);
  ctx.user = null;
  location.hash = "";
  loginScreen();
});
window.addEventListener("hashchange", () => ctx.user && render());
window.addEventListener("session-expired", () => { ctx.user = null; loginScreen(); });

document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
hasToken() ? start() : loginScreen();
