// Manager / HQ dashboard: KPI tiles beside the period before, the same days last year and the store's target
// over those days (set here, a month at a time), the revenue
// and car-count trend of the chosen store by day, week or month (empty periods as zero), and — for whoever
// sees several stores — the stores ranked side by side with the chain's total; the store's customer retention by
// the month of their first visit; the customers registered over chosen days by source (客户来源), how many came in and
// what they spent; the member cards' liabilities per issuing store beside the books (储值卡负债). Charts are
// inline SVG.
import { api } from "../api.js";
import { fenToInput, localDay, toFen, yuan } from "../format.js";
import { errorWords, phrase, t } from "../i18n.js";
import { busy, dateInput, exportButtons, field, fill, flash, form, h, input, isMonth, monthInput, newest, select, table }
  from "../ui.js";

const SVG = "http://www.w3.org/2000/svg";
const pct = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`);
const score = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} / 5`);
const number = (value) => (value === null || value === undefined ? null : Number(value));
// [key, the report's field, how it is shown, how a change of it is said: relative %, percentage points, points]
const TILES = [
  ["kpi_revenue", "sales_fen", yuan, "relative"],
  ["kpi_car_count", "car_count", (v) => (v === null || v === undefined ? "—" : String(v)), "relative"],
  ["kpi_aro", "aro_fen", yuan, "relative"],
  ["kpi_parts_gp", "parts_gross_profit_pct", pct, "points"],
  ["kpi_labour_gp", "labour_gross_profit_pct", pct, "points"],
  ["kpi_efficiency", "technician_efficiency_pct", pct, "points"],
  ["kpi_satisfaction", "average_satisfaction", score, "score"],
];
// The targets a month may have, as the target form takes them: [words, field, fen (typed in 元)?]
const TARGETS = [["target_revenue", "sales_fen", true], ["target_car_count", "car_count"],
  ["target_parts_gp", "parts_gross_profit_pct"], ["target_labour_gp", "labour_gross_profit_pct"],
  ["target_efficiency", "technician_efficiency_pct"], ["target_satisfaction", "average_satisfaction"]];
const COMPARED = [["vs_previous", "previous"], ["vs_last_year", "last_year"]]; // [words, the report's name]

export function render(root, ctx) {
  const out = h("div", { id: "kpis" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const several = ctx.user.sees_every_store || ctx.stores.length > 1;
  const period = form({ id: "period", onsubmit: async (event) => {
    event.preventDefault();
    const range = { from: period.from.value, to: period.to.value };
    const replies = await busy(submit, period, () => Promise.all([
      api.get("/v1/reports/kpis", { ...range, store_id: ctx.store.id, compare: "previous,last_year,target" }),
      api.get("/v1/reports/kpis", { ...range, store_id: ctx.store.id, group: period.group.value }),
      several ? api.get("/v1/reports/kpis", range) : null,
      several ? api.get("/v1/reports/kpis", { ...range, group: "chain" }) : null]));
    if (replies) drawKpis(out, ctx, ...replies);
  } },
  h("div", { class: "row" }, field("from", dateInput("from", { value: localDay(ctx.tz, -29) })),
    field("to", dateInput("to", { value: localDay(ctx.tz) })),
    field("trend_by", select("group", ["day", "week", "month"].map((group) => [group, t(`by_${group}`)]))),
    submit, exportButtons(api, "/v1/reports/kpis", () => ({ from: period.from.value, to: period.to.value,
      store_id: ctx.store.id, group: period.group.value }), t("export_name_kpis"))));
  root.append(h("h1", { text: `${t("nav_dashboard")} · ${ctx.store?.name ?? ""}` }), h("div", { class: "card" }, period), out,
    retentionCard(ctx), sourcesCard(ctx), campaignsCard(ctx), liabilitiesCard(ctx), ctx.user.manages ? targetsCard(ctx, () => period.requestSubmit()) : null);
  queueMicrotask(() => period.requestSubmit());
}

/** The store's customers by the month of their first invoice (the last twelve months) and how many came back
 * within 90, 180 and 365 days; a window not yet over for the whole month shows 未满. */
function retentionCard(ctx) {
  const card = h("div", { class: "card wide", id: "retention" }, h("h2", { text: t("retention") }));
  const [year, month] = localDay(ctx.tz).split("-").map(Number);
  const first = new Date(Date.UTC(year, month - 12, 1));
  const asked = { from: `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, "0")}`,
    to: `${year}-${String(month).padStart(2, "0")}`, store_id: ctx.store.id };
  const share = (row, days) => (row[`returned_${days}`] === null ? t("window_not_over")
    : `${row[`returned_${days}`]} · ${pct(row[`retention_${days}_pct`])}`);
  api.get("/v1/reports/retention", asked).then((report) => fill(card, h("h2", { text: t("retention") }),
    table([["first_visit_month"], ["new_customers", "num"], ["returned_90", "num"], ["returned_180", "num"],
      ["returned_365", "num"]], report.items.map((row) => h("tr", { "data-month": row.month },
      h("td", { text: row.month }), h("td", { class: "num", text: String(row.new_customers) }),
      ...[90, 180, 365].map((days) => h("td", { class: "num", "data-window": days, text: share(row, days) }))))),
    exportButtons(api, "/v1/reports/retention", () => asked, t("export_name_retention"))))
    .catch((error) => fill(card, h("h2", { text: t("retention") }),
      h("p", { class: "form-error", text: errorWords(error) ?? t("retention_unavailable") })));
  return card;
}

/** The customers registered at the store over the chosen days (the last 30 by default) by source, charted: how
 * many, how many of them came in (were invoiced) over those days and their revenue, with the total row. */
function sourcesCard(ctx) {
  const out = h("div", { id: "sources-table" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const asked = () => ({ from: days.from.value, to: days.to.value, store_id: ctx.store.id });
  const cells = (row, words) => [h("td", { text: words }), ...["new_customers", "customers_visited", "invoices"]
    .map((name) => h("td", { class: "num", "data-field": name, text: String(row[name]) })),
  h("td", { class: "num", "data-field": "revenue_fen", text: yuan(row.revenue_fen) })];
  const days = form({ id: "sources-period", onsubmit: async (event) => {
    event.preventDefault();
    const report = await busy(submit, days, () => api.get("/v1/reports/customer-sources", asked()));
    if (!report) return;
    fill(out, barChart(report.items.map((row) => [t(`customer_source_${row.source}`), row.new_customers]), "sources",
      t("new_customers_by_source")), table([["customer_source"], ["new_customers", "num"], ["customers_visited", "num"],
      ["invoice_count", "num"], ["source_revenue", "num"]], [
      ...report.items.map((row) => h("tr", { "data-source": row.source }, ...cells(row, t(`customer_source_${row.source}`)))),
      h("tr", { class: "total", "data-source": "total" }, ...cells(report.total, t("total")))]));
  } },
  h("div", { class: "row" }, field("from", dateInput("from", { value: localDay(ctx.tz, -29) })),
    field("to", dateInput("to", { value: localDay(ctx.tz) })), submit,
    exportButtons(api, "/v1/reports/customer-sources", asked, t("export_name_customer_sources"))));
  queueMicrotask(() => days.requestSubmit());
  return h("div", { class: "card wide", id: "sources" }, h("h2", { text: t("customer_sources") }), days, out);
}

/** Campaign results (营销活动效果): each campaign's messages sent over the chosen days (the last 30 by default) to the
 * store's customers (and those not sent for the customer's weekly marketing allowance, 超出每周上限), how many of
 * them came in (were invoiced at the store) within N days of their message (30 by default) and their revenue, with the total row; a campaign by its name and its store's (全连锁: chain-wide). */
function campaignsCard(ctx) {
  const out = h("div", { id: "campaigns-table" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const asked = () => ({ from: days.from.value, to: days.to.value, within_days: days.within_days.value,
    store_id: ctx.store.id });
  const storeName = (id) => (id ? ctx.stores.find((store) => store.id === id)?.name ?? "—" : t("campaign_chain_wide"));
  const cells = (row, words, where) => [h("td", { text: words }), h("td", { text: where }),
    ...["messages_sent", "messages_skipped", "customers_visited", "invoices"]
      .map((name) => h("td", { class: "num", "data-field": name, text: String(row[name] ?? 0) })),
    h("td", { class: "num", "data-field": "revenue_fen", text: yuan(row.revenue_fen ?? 0) })];
  const days = form({ id: "campaigns-period", onsubmit: async (event) => {
    event.preventDefault();
    const report = await busy(submit, days, () => api.get("/v1/reports/campaigns", asked()));
    if (!report) return;
    fill(out, report.items.length ? null : h("p", { class: "muted", text: t("no_campaign_sends") }),
      table([["campaign_name"], ["campaign_store"], ["messages_sent", "num"], ["campaign_skipped", "num"],
        ["customers_visited", "num"], ["invoice_count", "num"], ["source_revenue", "num"]], [
        ...report.items.map((row) => h("tr", { "data-campaign": row.name },
          ...cells(row, row.name, storeName(row.store_id)))),
        h("tr", { class: "total", "data-campaign": "total" }, ...cells(report.total, t("total"), ""))]));
  } },
  h("div", { class: "row" }, field("from", dateInput("from", { value: localDay(ctx.tz, -29) })),
    field("to", dateInput("to", { value: localDay(ctx.tz) })),
    field("within_days", input("within_days", { type: "number", min: "0", max: "365", value: "30" })), submit,
    exportButtons(api, "/v1/reports/campaigns", asked, t("export_name_campaigns"))));
  queueMicrotask(() => days.requestSubmit());
  const manage = ctx.user.screens.includes("campaigns")
    ? h("p", {}, h("a", { href: "#/campaigns", id: "campaigns-manage", text: t("campaigns_manage") })) : null;
  return h("div", { class: "card wide", id: "campaigns" }, h("h2", { text: t("campaign_results") }), manage, days, out);
}

/** What the open member cards each of the caller's stores issued hold today — principal and bonus apart, packages'
 * value left — beside the books' 2205 + 2206 and the difference, a row per store and the total. */
function liabilitiesCard(ctx) {
  const card = h("div", { class: "card wide", id: "card-liabilities" }, h("h2", { text: t("card_liabilities") }));
  const money = ["paid_balance_fen", "bonus_balance_fen", "package_value_fen", "liability_fen", "ledger_fen",
    "difference_fen"];
  const storeName = (id) => ctx.stores.find((store) => store.id === id)?.name ?? "—";
  const cells = (row) => [
    ...["stored_value_cards", "package_cards"].map((name) => h("td", { class: "num", "data-field": name,
      text: String(row[name]) })),
    ...money.map((name) => h("td", { class: "num", "data-field": name, text: yuan(row[name]) }))];
  api.get("/v1/reports/card-liabilities").then((report) => fill(card,
    h("h2", { text: `${t("card_liabilities")} · ${t("as_of_day")} ${report.as_of}` }),
    table([["store"], ["stored_value_cards", "num"], ["package_cards", "num"], ["principal_balance", "num"],
      ["bonus_balance", "num"], ["package_value_left", "num"], ["card_liability", "num"], ["books_2205_2206", "num"],
      ["difference", "num"]], [
      ...report.items.map((row) => h("tr", { "data-store": row.store_id }, h("td", { text: storeName(row.store_id) }),
        ...cells(row))),
      h("tr", { class: "total", "data-store": "total" }, h("td", { text: t("total") }), ...cells(report.total))]),
    h("p", { class: "hint", text: t("bonus_not_a_liability") }),
    exportButtons(api, "/v1/reports/card-liabilities", () => ({}), t("export_name_card_liabilities"))))
    .catch((error) => fill(card, h("h2", { text: t("card_liabilities") }),
      h("p", { class: "form-error", text: errorWords(error) ?? t("card_liabilities_unavailable") })));
  return card;
}

/** A month's targets of the store: read, typed, saved (HQ or its manager); the tiles then show them. */
function targetsCard(ctx, saved) {
  const card = h("div", { class: "card", id: "targets" });
  const month = monthInput("month", { value: localDay(ctx.tz).slice(0, 7) });
  const draw = async () => {
    if (!isMonth(month.value.trim())) return;
    const chosen = month.value.trim();
    const current = newest(card); // a month typed while another's targets load: only the last is drawn
    const [set] = (await api.get(`/v1/stores/${ctx.store.id}/kpi-targets`, { from: chosen, to: chosen })).items;
    if (!current()) return;
    const submit = h("button", { class: "primary", type: "submit", text: t("target_save") });
    const typed = form({ id: "targets-form", onsubmit: async (event) => {
      event.preventDefault();
      const read = (name) => typed.querySelector(`[name=${name}]`).value.trim();
      const body = Object.fromEntries(TARGETS.map(([, name, fen]) => [name,
        read(name) === "" ? null : fen ? toFen(read(name)) : name === "car_count" ? Number(read(name)) : read(name)]));
      if (await busy(submit, typed, () => api.put(`/v1/stores/${ctx.store.id}/kpi-targets/${chosen}`, body))) {
        flash(t("target_saved"));
        saved();
      }
    } }, h("div", { class: "row" }, TARGETS.map(([words, name, fen]) => field(words, input(name, {
      inputmode: "decimal", value: set?.[name] === null || set?.[name] === undefined ? ""
        : fen ? fenToInput(set[name]) : String(Number(set[name])) })))), submit);
    fill(card, h("h2", { text: `${t("targets_of_month")} · ${chosen}` }), field("month", month), typed);
  };
  month.addEventListener("change", draw);
  draw();
  return card;
}

/** How the period stands against its target: 达成 96.0% for an amount or a count, the gap for a rate or score. */
function againstTarget(value, target, kind) {
  if (target === null || target === undefined) return null;
  const now = number(value), aim = number(target);
  if (kind === "relative") {
    return phrase("target_reached", { value: aim ? `${((now ?? 0) * 100 / aim).toFixed(1)}%` : "—" });
  }
  return now === null ? null : change(now, aim, kind);
}

function drawKpis(out, ctx, store, trend, stores, chain) {
  const mine = store.items[0] || {};
  fill(out,
    h("div", { class: "tiles" }, TILES.map(([key, name, shown, kind]) => h("div", { class: "tile", "data-kpi": key },
      t(key), h("b", { text: shown(mine[name]) }),
      COMPARED.map(([label, period]) => h("small", { class: "change", "data-compare": period, title: span(store[period]) },
        `${t(label)} ${change(number(mine[name]), mine[period] ? number(mine[period][name]) : null, kind)}`)),
      mine.target?.[name] !== null && mine.target?.[name] !== undefined
        ? h("small", { class: "change", "data-compare": "target" },
          `${t("target")} ${shown(mine.target[name])} · ${againstTarget(mine[name], mine.target[name], kind) ?? ""}`)
        : null))),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("h2", { text: t("revenue_trend") }),
        barChart(trend.items.map((d) => [label(d.period), d.sales_fen / 100]), "revenue", t("revenue_trend"))),
      h("div", { class: "card" }, h("h2", { text: t("car_count_trend") }),
        barChart(trend.items.map((d) => [label(d.period), d.car_count]), "car_count", t("car_count_trend"))),
      stores && chain ? ranking(ctx, stores.items, chain.items[0]) : null));
}

/** The stores ranked by revenue, the chain's total (its own row of the report, so every rate is the
 * chain's, not an average of averages) under them. */
function ranking(ctx, items, total) {
  const name = (id) => ctx.stores.find((s) => s.id === id)?.name ?? t("unknown_store");
  const ranked = [...items].sort((a, b) => b.sales_fen - a.sales_fen);
  const cells = (k) => TILES.map(([, name, shown]) => h("td", { class: "num", text: shown(k[name]) }));
  return h("div", { class: "card wide", id: "ranking" }, h("h2", { text: t("stores_side_by_side") }),
    barChart(ranked.map((k) => [name(k.store_id), k.sales_fen / 100]), "stores", t("stores_side_by_side")),
    table([["rank", "num"], ["store"], ...TILES.map(([key]) => [key, "num"])], [
      ...ranked.map((k, i) => h("tr", { "data-store": k.store_id }, h("td", { class: "num", text: i + 1 }),
        h("td", { text: name(k.store_id) }), cells(k))),
      total ? h("tr", { class: "total", "data-store": "chain" }, h("td"), h("th", { text: t("chain_total") }), cells(total))
        : null]));
}

/** A change in the reader's words: +12.3% (relative), +2.1 个百分点 (rates), +0.3 (a score out of 5). */
function change(now, then, kind) {
  if (now === null || now === undefined || then === null || then === undefined) return t("no_comparison");
  const signed = (value, digits) => `${value > 0 ? "+" : ""}${value.toFixed(digits)}`;
  if (kind === "points") return phrase("change_points", { value: signed(now - then, 1) });
  if (kind === "score") return signed(now - then, 1);
  if (!then) return t("no_comparison");
  return `${signed(((now - then) * 100) / Math.abs(then), 1)}%`;
}

const span = (days) => (days ? `${days.from} – ${days.to}` : "");
/** A day as 12-06, an ISO week as 第49周, a month as 2026-12. */
function label(period) {
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) return period.slice(5);
  const week = period.match(/^\d{4}-W(\d{2})$/);
  return week ? phrase("week_label", { n: Number(week[1]) }) : period;
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Bars on a zero line; values on top while they fit, every bar's value in its tooltip; at most about
 * twelve labels under them, so a month of days stays readable; `title` names it to a screen reader. */
function barChart(points, name, title) {
  const width = 600, height = 240, pad = 34;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title,
    "data-chart": name });
  if (!points.length) {
    chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#536170", "font-size": 14 }, t("no_data")));
    return chart;
  }
  const max = Math.max(...points.map(([, v]) => v), 1);
  const step = (width - pad) / points.length;
  const every = Math.ceil(points.length / 12);
  chart.append(svg("line", { x1: pad / 2, x2: width - pad / 2, y1: height - pad, y2: height - pad, stroke: "#c9d3dd" }));
  points.forEach(([text, value], i) => {
    const barHeight = (value / max) * (height - 2 * pad);
    const x = pad / 2 + i * step + step * 0.15;
    const shown = Number(value.toFixed(2)).toLocaleString();
    const bar = svg("rect", { x, y: height - pad - barHeight, width: step * 0.7, height: barHeight, fill: "#0b6bcb", rx: 2,
      "data-value": value });
    bar.append(svg("title", {}, `${text}: ${shown}`));
    chart.append(bar);
    if (points.length <= 14) {
      chart.append(svg("text", { x: x + step * 0.35, y: height - pad - barHeight - 5, "text-anchor": "middle", "font-size": 13 }, shown));
    }
    if (i % every === 0) {
      chart.append(svg("text", { x: x + step * 0.35, y: height - pad + 18, "text-anchor": "middle", "font-size": 13, fill: "#46566a" }, text));
    }
  });
  return chart;
}
