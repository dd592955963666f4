// Manager / HQ dashboard: KPI tiles, the revenue and car-count trend of the chosen store, and the
// stores side by side (HQ: the whole chain) for a chosen period. Charts are inline SVG.
import { api } from "../api.js";
import { localDay, yuan } from "../format.js";
import { t } from "../i18n.js";
import { busy, field, fill, form, h, input, showError, table } from "../ui.js";

const SVG = "http://www.w3.org/2000/svg";
const pct = (value) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(1)}%`);
const TILES = [
  ["kpi_revenue", (k) => yuan(k.sales_fen)], ["kpi_car_count", (k) => k.car_count], ["kpi_aro", (k) => yuan(k.aro_fen)],
  ["kpi_parts_gp", (k) => pct(k.parts_gross_profit_pct)], ["kpi_labour_gp", (k) => pct(k.labour_gross_profit_pct)],
  ["kpi_efficiency", (k) => pct(k.technician_efficiency_pct)],
  ["kpi_satisfaction", (k) => (k.average_satisfaction === null || k.average_satisfaction === undefined ? "—" : `${Number(k.average_satisfaction).toFixed(1)} / 5`)],
];

export function render(root, ctx) {
  const out = h("div", { id: "kpis" });
  const submit = h("button", { type: "submit", class: "primary", text: t("show") });
  const period = form({ id: "period", onsubmit: async (event) => {
    event.preventDefault();
    const range = { from: period.from.value, to: period.to.value };
    const chain = ctx.user.role === "hq_admin" ? {} : { store_id: ctx.store.id };
    const replies = await busy(submit, period, () => Promise.all([
      api.get("/v1/reports/kpis", { ...range, store_id: ctx.store.id, group: "store" }),
      api.get("/v1/reports/kpis", { ...range, store_id: ctx.store.id, group: "day" }),
      api.get("/v1/reports/kpis", { ...range, ...chain, group: "store" })]));
    if (replies) drawKpis(out, ctx, ...replies);
  } },
  h("div", { class: "row" }, field("from", input("from", { type: "date", value: localDay(ctx.tz, -29) })),
    field("to", input("to", { type: "date", value: localDay(ctx.tz) })), submit));
  root.append(h("h1", { text: `${t("nav_dashboard")} · ${ctx.store?.name ?? ""}` }), h("div", { class: "card" }, period), out);
  queueMicrotask(() => period.requestSubmit());
}

function drawKpis(out, ctx, store, days, chain) {
  const mine = store.items[0] || {};
  const name = (id) => ctx.stores.find((s) => s.id === id)?.name ?? id;
  fill(out,
    h("div", { class: "tiles" }, TILES.map(([key, value]) => h("div", { class: "tile", "data-kpi": key }, t(key), h("b", { text: value(mine) })))),
    h("div", { class: "grid" },
      h("div", { class: "card" }, h("h2", { text: t("revenue_trend") }), barChart(days.items.map((d) => [d.period.slice(5), d.sales_fen / 100]))),
      h("div", { class: "card" }, h("h2", { text: t("car_count_trend") }), barChart(days.items.map((d) => [d.period.slice(5), d.car_count]))),
      h("div", { class: "card wide" }, h("h2", { text: t("stores_side_by_side") }),
        barChart(chain.items.map((k) => [name(k.store_id), k.sales_fen / 100])),
        table([["store"], ...TILES.map(([key]) => [key, "num"])], chain.items.map((k) => h("tr", { "data-store": k.store_id },
          h("td", { text: name(k.store_id) }), TILES.map(([, value]) => h("td", { class: "num", text: value(k) }))))))));
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Bars with their values on top; labels under them. */
function barChart(points) {
  const width = 600, height = 220, pad = 30;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img" });
  if (!points.length) {
    chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#66788a" }, t("no_data")));
    return chart;
  }
  const max = Math.max(...points.map(([, v]) => v), 1);
  const step = (width - pad) / points.length;
  points.forEach(([label, value], i) => {
    const barHeight = (value / max) * (height - 2 * pad);
    const x = pad / 2 + i * step + step * 0.15;
    chart.append(
      svg("rect", { x, y: height - pad - barHeight, width: step * 0.7, height: barHeight, fill: "#0b6bcb", rx: 2 }),
      svg("text", { x: x + step * 0.35, y: height - pad - barHeight - 4, "text-anchor": "middle", "font-size": 10 }, Number(value.toFixed(2)).toLocaleString()),
      svg("text", { x: x + step * 0.35, y: height - pad + 14, "text-anchor": "middle", "font-size": 10, fill: "#66788a" }, label));
  });
  return chart;
}
