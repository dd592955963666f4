// Competitors' prices (竞品价格, on 门店信息): what staff saw a nearby shop charge for an item of the price list
// (its name, the price, the day, where it was seen), and per item each competitor's latest price beside the
// store's own price in force — the cheapest, the dearest, their average, and how far the store is from it.
import { api } from "../api.js";
import { localDay, toFen, yuan } from "../format.js";
import { t } from "../i18n.js";
import { busy, dateInput, exportButtons, field, fill, flash, form, h, input, showError, table } from "../ui.js";
import { itemPicker, keyName } from "./packages.js";

export function competitorCard(ctx) {
  const box = h("div", { class: "card wide", id: "competitor-prices" }, h("p", { class: "hint", text: t("loading") }));
  const state = { ctx, packages: [] };
  api.all("/v1/packages", { active: true, store_id: ctx.store.id }, 500).then((packages) => {
    state.packages = packages;
    load(box, state);
  }).catch((error) => { fill(box, h("div", { class: "form-error" })); showError(box, error); });
  return box;
}

const signedPct = (pct) => (pct === null ? "—" : `${Number(pct) > 0 ? "+" : ""}${pct}%`);

async function load(box, state) {
  const { ctx } = state;
  const store = ctx.store.id;
  try {
    const [compared, seen] = await Promise.all([api.get("/v1/reports/price-comparison", { store_id: store }),
      api.all("/v1/competitor-prices", { store_id: store }, 200)]);
    const items = compared.items.map((item) => h("tr", { "data-item": `${item.kind}:${item.key}` },
      h("td", { text: `${t(`price_kind_${item.kind}`)} · ${item.name ?? keyName(state, item.kind, item.key)}` }),
      h("td", { class: "num", text: item.own_price_fen === null ? t("priced_by_items") : yuan(item.own_price_fen) }),
      h("td", { class: "num", text: yuan(item.low_fen) }), h("td", { class: "num", text: yuan(item.average_fen) }),
      h("td", { class: "num", text: yuan(item.high_fen) }),
      h("td", { class: "num", text: signedPct(item.own_vs_average_pct) }),
      h("td", { text: item.competitors.map((c) => `${c.competitor} ${yuan(c.price_fen)}`).join("；") })));
    const rows = seen.map((p) => h("tr", { "data-competitor-price": p.id },
      h("td", { text: p.competitor }), h("td", { text: `${t(`price_kind_${p.kind}`)} · ${keyName(state, p.kind, p.key)}` }),
      h("td", { class: "num", text: yuan(p.price_fen) }), h("td", { text: p.observed_on }), h("td", { text: p.note ?? "" }),
      h("td", {}, ctx.user.manages ? removeButton(p, () => load(box, state)) : "")));
    fill(box, h("h2", { text: t("competitor_prices") }), h("p", { class: "hint", text: t("competitor_prices_hint") }),
      entryForm(state, () => load(box, state)),
      h("h3", { text: t("price_comparison") }),
      items.length ? table([["price_item"], ["own_price", "num"], ["competitor_low", "num"], ["competitor_average", "num"],
        ["competitor_high", "num"], ["own_vs_average", "num"], ["competitor_latest"]], items)
        : h("p", { class: "hint", text: t("none") }),
      exportButtons(api, "/v1/reports/price-comparison", () => ({ store_id: store }), t("price_comparison")),
      h("h3", { text: t("competitor_prices_seen") }),
      rows.length ? table([["competitor"], ["price_item"], ["price", "num"], ["observed_on"], ["note"], [""]], rows)
        : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(box, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function entryForm(state, reload) {
  const { ctx } = state;
  const submit = h("button", { class: "primary", type: "submit", text: t("add") });
  const { kind, keyBox } = itemPicker(state);
  const entry = form({ id: "competitor-price-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const price = toFen(entry.price.value);
    if (Number.isNaN(price)) return showError(entry, { message: t("fix_fields"), fields: { price_fen: [t("amount_invalid")] } });
    const body = { store_id: ctx.store.id, competitor: entry.competitor.value.trim(), kind: kind.value,
      key: entry.key.value.trim(), price_fen: price, observed_on: entry.observed_on.value, note: entry.note.value.trim() || null };
    const saved = await busy(submit, entry, () => api.post("/v1/competitor-prices", body));
    if (saved) { flash(`${t("saved")} · ${saved.competitor} ${yuan(saved.price_fen)}`); reload(); }
  } },
  h("div", { class: "row" }, field("competitor", input("competitor", { required: true, maxlength: 60, autocomplete: "off" })),
    field("kind", kind), keyBox),
  h("div", { class: "row" },
    h("label", { class: "field", "data-field": "price_fen" }, h("span", { text: t("price_yuan") }),
      input("price", { inputmode: "decimal", required: true }), h("small", { class: "field-error" })),
    field("observed_on", dateInput("observed_on", { required: true, value: localDay(ctx.tz) })),
    field("note", input("note", { maxlength: 200 }))),
  submit);
  return entry;
}

function removeButton(price, reload) {
  const button = h("button", { type: "button", class: "link", text: t("remove") });
  button.addEventListener("click", async () => {
    if (!window.confirm(t("competitor_price_remove_confirm"))) return;
    const done = await busy(button, button.closest("tr"), () => api.del(`/v1/competitor-prices/${price.id}`));
    if (done) reload();
  });
  return button;
}
