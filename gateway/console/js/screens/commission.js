// 提成与目标 (managers): the store's commission rule, each employee's monthly target and the month's results —
// what each earned (labour, parts, sales), the revenue they produced against their target, and a total row
// that is the sum of the rows above it. Employees are named from the store's accounts and technicians.
import { api } from "../api.js";
import { fenToInput, localDay, toFen, yuan } from "../format.js";
import { t } from "../i18n.js";
import { busy, field, fill, flash, form, h, input, isMonth, monthInput, newest, select, table } from "../ui.js";

const PERCENTS = ["labour_pct", "parts_gp_pct", "sales_pct"];
const EARNED = ["labour_fen", "parts_fen", "sales_fen", "total_fen", "revenue_fen"];

export function render(root, ctx) {
  const month = monthInput("month", { value: localDay(ctx.tz).slice(0, 7) });
  const state = { ctx, month, rule: h("div", { class: "card", id: "commission-rule" }),
    results: h("div", { class: "card wide", id: "commission-results" }), people: new Map(), earners: [] };
  month.addEventListener("change", () => { if (isMonth(month.value.trim())) loadResults(state); });
  root.classList.add("manage");
  root.append(h("div", { class: "row" }, h("h1", { text: `${t("nav_commission")} · ${ctx.store?.name ?? ""}` }),
    h("span", { class: "spacer" }), field("month", month)), h("div", { class: "grid" }, state.rule, state.results));
  loadPeople(state).then(() => Promise.all([loadRule(state), loadResults(state)]));
}

/** Names of whoever may earn here (`people`: id → name and role), and who may be given a target (`earners`):
 * the store's advisors by account, its technicians by the id finance credits them under (their account's,
 * else the technician's own). */
async function loadPeople(state) {
  const store = state.ctx.store.id;
  const [users, technicians] = await Promise.all([api.all("/v1/users", { store_id: store }, 500).catch(() => []),
    api.all("/v1/technicians", { store_id: store }, 500).catch(() => [])]);
  for (const user of users) state.people.set(user.id, { name: user.display_name || user.username, role: user.role });
  for (const tech of technicians) {
    state.people.set(tech.id, { name: tech.name, role: "technician" });
    if (tech.user_id) state.people.set(tech.user_id, { name: tech.name, role: "technician" });
  }
  state.earners = [
    ...users.filter((user) => user.role === "service_advisor").map((user) => [user.id, state.people.get(user.id).name]),
    ...technicians.filter((tech) => tech.active).map((tech) => [tech.user_id || tech.id, tech.name]),
  ].sort(([, a], [, b]) => a.localeCompare(b, "zh-CN"));
}

async function loadRule(state) {
  const { ctx, rule } = state;
  const current = await api.get(`/v1/stores/${ctx.store.id}/commission-rule`);
  const submit = h("button", { class: "primary", type: "submit", text: t("commission_rule_save") });
  const ruleForm = form({ id: "commission-rule-form", onsubmit: async (event) => {
    event.preventDefault();
    const read = (name) => ruleForm.querySelector(`[name=${name}]`).value.trim();
    const body = { ...Object.fromEntries(PERCENTS.map((name) => [name, read(name) || "0"])),
      labour_per_hour_fen: toFen(read("labour_per_hour_fen") || "0") };
    if (await busy(submit, ruleForm, () => api.put(`/v1/stores/${ctx.store.id}/commission-rule`, body))) {
      flash(t("commission_rule_saved"));
      loadResults(state);
    }
  } },
  h("h2", { text: t("commission_rule") }),
  ...PERCENTS.map((name) => field(name, input(name, { value: String(Number(current[name])), inputmode: "decimal" }))),
  field("labour_per_hour_yuan", input("labour_per_hour_fen", { value: fenToInput(current.labour_per_hour_fen),
    inputmode: "decimal" })),
  submit);
  fill(rule, ruleForm);
}

async function loadResults(state) {
  const { ctx, results, people } = state;
  const month = state.month.value.trim();
  const current = newest(results); // a rule or a target saved while a month loads: only the last load draws
  const report = await api.get("/v1/reports/commissions", { store_id: ctx.store.id, month });
  if (!current()) return;
  const nameOf = (id) => people.get(id)?.name ?? t("someone_else");
  const roleOf = (item) => t(`role_${item.role === "advisor" ? "service_advisor" : item.role
    ?? people.get(item.employee_id)?.role ?? "technician"}`);
  const rows = [...report.items].sort((a, b) => b.revenue_fen - a.revenue_fen || a.employee_id.localeCompare(b.employee_id))
    .map((item) => h("tr", { "data-employee": nameOf(item.employee_id) },
      h("td", {}, h("b", { text: nameOf(item.employee_id) }), h("div", { class: "hint", text: roleOf(item) })),
      ...EARNED.map((name) => h("td", { class: "num", "data-figure": name, text: yuan(item[name]) })),
      h("td", { class: "num", "data-figure": "target_fen", text: item.target_fen === null ? "—" : yuan(item.target_fen) }),
      h("td", { class: "num", "data-figure": "achievement", text: item.achievement_pct === null ? "—" : `${item.achievement_pct}%` })));
  const sum = (name) => report.items.reduce((acc, item) => acc + (item[name] ?? 0), 0);
  const targets = sum("target_fen");
  const total = h("tr", { class: "total", "data-total": "" }, h("td", { text: t("total") }),
    ...EARNED.map((name) => h("td", { class: "num", "data-figure": name, text: yuan(sum(name)) })),
    h("td", { class: "num", "data-figure": "target_fen", text: targets ? yuan(targets) : "—" }),
    h("td", { class: "num", "data-figure": "achievement",
      text: targets ? `${(Math.round((sum("revenue_fen") * 1000) / targets) / 10).toFixed(1)}%` : "—" }));
  fill(results, h("h2", { text: `${t("commission_results")} · ${month}` }),
    report.items.length ? table([["employee"], ["labour_commission", "num"], ["parts_commission", "num"],
      ["sales_commission", "num"], ["commission_total", "num"], ["revenue_produced", "num"], ["target", "num"],
      ["achievement", "num"]], [...rows, total]) : h("p", { class: "hint", text: t("commission_none") }),
    targetForm(state, month));
}

function targetForm(state, month) {
  const { ctx, earners } = state;
  const submit = h("button", { class: "primary", type: "submit", text: t("target_save") });
  const setTarget = form({ id: "target-form", class: "row", onsubmit: async (event) => {
    event.preventDefault();
    const body = { employee_id: setTarget.employee_id.value, month, target_fen: toFen(setTarget.target_fen.value) };
    if (await busy(submit, setTarget, () => api.put(`/v1/stores/${ctx.store.id}/commission-targets`, body))) {
      flash(t("target_saved"));
      loadResults(state);
    }
  } },
  field("employee", select("employee_id", earners)),
  field("target_yuan", input("target_fen", { inputmode: "decimal", required: true })), submit);
  return h("div", {}, h("h3", { text: `${t("target_set")} · ${month}` }), setTarget);
}
