// 人员绩效: a scorecard per technician or service advisor of the store over the chosen days (this month so far by
// default) with their targets, and the store's total row as the gateway sums it (rates divided again from the summed
// figures). Managers switch between technicians and advisors and export the table; a technician or an advisor sees
// their own card only (the report says so: `own_only`). People by name, amounts in ¥ with two decimals, hours as
// 时:分.
import { api } from "../api.js";
import { hours, localDay, yuan } from "../format.js";
import { t } from "../i18n.js";
import { busy, dateInput, exportButtons, field, fill, form, h, select, table } from "../ui.js";

const pct = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`);
const count = (value) => (value === null || value === undefined ? "—" : String(value));
const score = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(2)} / 5`);
// [the report's field, its column's word, how it is shown] per role, in the table's order
const COLUMNS = {
  technician: [
    ["billed_hours", "people_billed_hours", hours], ["clocked_hours", "people_clocked_hours", hours],
    ["efficiency_pct", "people_efficiency", pct], ["jobs", "people_jobs", count],
    ["work_orders", "people_work_orders", count], ["comebacks", "people_comebacks", count],
    ["comeback_rate_pct", "people_comeback_rate", pct], ["first_time_qc_pass_pct", "people_first_time_qc", pct],
    ["labour_revenue_fen", "people_labour_revenue", yuan], ["commission_fen", "commission_total", yuan],
    ["target_fen", "target", yuan], ["achievement_pct", "achievement", pct],
  ],
  advisor: [
    ["quotes_presented", "people_quotes_presented", count], ["quotes_won", "people_quotes_won", count],
    ["close_ratio_pct", "people_close_ratio", pct], ["inspection_quoted_fen", "people_inspection_quoted", yuan],
    ["inspection_approved_fen", "people_inspection_approved", yuan],
    ["inspection_approval_pct", "people_inspection_approval", pct], ["revenue_fen", "revenue_produced", yuan],
    ["average_satisfaction", "people_satisfaction", score], ["rated", "people_rated", count],
    ["complaints", "complaints", count], ["commission_fen", "commission_total", yuan],
    ["target_fen", "target", yuan], ["achievement_pct", "achievement", pct],
  ],
};

export function render(root, ctx) {
  const out = h("div", { id: "people-report" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const role = select("role", Object.keys(COLUMNS).map((name) => [name, t(`people_of_${name}`)]));
  const roleField = h("span", { hidden: true }, field("people_role", role)); // shown once the report is the store's
  const asked = () => ({ store_id: ctx.store.id, from: period.from.value.trim(), to: period.to.value.trim(),
    ...(roleField.hidden ? {} : { role: role.value }) }); // first: the caller's own report (theirs, or the store's)
  const exporting = h("span", { hidden: true }, exportButtons(api, "/v1/reports/people", asked, t("export_name_people")));
  const period = form({ id: "people-period", onsubmit: async (event) => {
    event.preventDefault();
    const report = await busy(submit, period, () => api.get("/v1/reports/people", asked()));
    if (!report) return;
    roleField.hidden = exporting.hidden = report.own_only; // a technician or an advisor: their own card, no switch
    role.value = report.role;
    fill(out, report.own_only ? ownCard(report) : storeTable(report));
  } },
  h("div", { class: "row" }, field("from", dateInput("from", { value: `${localDay(ctx.tz).slice(0, 8)}01` })),
    field("to", dateInput("to", { value: localDay(ctx.tz) })), roleField, submit, exporting));
  role.addEventListener("change", () => period.requestSubmit());
  root.classList.add("manage");
  root.append(h("h1", { text: `${t("nav_people")} · ${ctx.store?.name ?? ""}` }),
    h("div", { class: "card wide" }, period, out));
  queueMicrotask(() => period.requestSubmit());
}

const nameOf = (row) => row.employee_name ?? t("someone_else");

function cells(row, role) {
  return COLUMNS[role].map(([name, , shown]) => h("td", { class: "num", "data-figure": name, text: shown(row[name]) }));
}

function storeTable(report) {
  if (!report.items.length) return h("p", { class: "hint", text: t("people_none") });
  return table([["employee"], ...COLUMNS[report.role].map(([, word]) => [word, "num"])], [
    ...report.items.map((row) => h("tr", { "data-employee": nameOf(row) },
      h("td", {}, h("b", { text: nameOf(row) })), ...cells(row, report.role))),
    h("tr", { class: "total", "data-total": "" }, h("td", { text: t("total") }), ...cells(report.total, report.role))]);
}

function ownCard(report) {
  const row = report.items[0];
  if (!row) return h("p", { class: "hint", text: t("people_none_own") });
  return h("div", { class: "card", id: "people-own", "data-employee": nameOf(row) },
    h("h2", { text: `${nameOf(row)} · ${t(`people_card_${report.role}`)}` }),
    h("dl", { class: "figures" }, ...COLUMNS[report.role].flatMap(([name, word, shown]) => [
      h("dt", { text: t(word) }), h("dd", { "data-figure": name, text: shown(row[name]) })])));
}
