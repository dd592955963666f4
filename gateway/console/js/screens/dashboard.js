// Manager / HQ dashboard: KPI tiles beside the period before and the same days last year, the revenue
// and car-count trend of the chosen store by day, week or month (empty periods as zero), and — for whoever
// sees several stores — the stores ranked side by side with the chain's total. Charts are inline SVG.
import { api } from "../api.js";
import { localDay, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { busy, dateInput, exportButtons, field, fill, form, h, select, table } from "../ui.js";

const SVG = "http://www.w3.org/2000/svg";
const pct = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`);
const score = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} / 5`);
const number = (value) => (value === null || value === undefined ? null : Number(value));
// [key, shown value, the figure compared, how a change of it is said: relative %, percentage points, points]
const TILES = [
  ["kpi_revenue", (k) => yuan(k.sales_fen), (k) => k.sales_fen, "relative"],
  ["kpi_car_count", (k) => k.car_count, (k) => k.car_count, "relative"],
  ["kpi_aro", (k) => yuan(k.aro_fen), (k) => k.aro_fen, "relative"],
  ["kpi_parts_gp", (k) => pct(k.parts_gross_profit_pct), (k) => number(k.parts_gross_profit_pct), "points"],
  ["kpi_labour_gp", (k) => pct(k.labour_gross_profit_pct), (k) => number(k.labour_gross_profit_pct), "points"],
  ["kpi_efficiency", (k) => pct(k.technician_efficiency_pct), (k) => number(k.technician_efficiency_pct), "points"],
  ["kpi_satisfaction", (k) => score(k.average_satisfaction), (k) => number(k.average_satisfaction), "score"],
];
const COMPARED = [["vs_previous", "previous"], ["vs_last_year", "last_year"]]; // [words, the report's name]

export function render(root, ctx) {
  const out = h("div", { id: "kpis" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const several = ctx.user.sees_every_store || ctx.stores.length > 1;
  const period = form({ id: "period", onsubmit: async (event) => {
    event.preventDefault();
    const range = { from: period.from.value, to: period.to.value };
    const replies = await busy(submit, period, () => Promise.all([
      api.get("/v1/reports/kpis", { ...range, store_id: ctx.store.id, compare: "previous,last_year" }),
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
  root.append(h("h1", { text: `${t("nav_dashboard")} · ${ctx.store?.name ?? ""}` }), h("div", { class: "card" }, period), out);
  queueMicrotask(() => period.requestSubmit());
}

function drawKpis(out, ctx, store, trend, stores, chain) {
  const mine = store.items[0] || {};
  fill(out,
    h("div", { class: "tiles" }, TILES.map(([key, shown, figure, kind]) => h("div", { class: "tile", "data-kpi": key },
      t(key), h("b", { text: shown(mine) }),
      COMPARED.map(([label, name]) => h("small", { class: "change", "data-compare": name, title: span(store[name]) },
        `${t(label)} ${change(figure(mine), mine[name] ? figure(mine[name]) : null, kind)}`))))),
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
  const cells = (k) => TILES.map(([, shown]) => h("td", { class: "num", text: shown(k) }));
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
