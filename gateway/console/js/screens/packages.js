// HQ's packages (套餐) and price list, shown in the service catalogue (catalogue.js). A package: its name,
// category, the labour operations and parts it holds with their quantities, its price (the sum of its
// lines or a fixed package price) and the stores that offer it (every store unless some are ticked); added,
// changed (its code stays) and deactivated or offered again. The price list: the chain's prices from a date
// (with the lowest and highest a store may set) and a store's own override, for a package, a part, a fee or a
// skill's labour rate. The API judges every value; its words show under the field.
import { api } from "../api.js";
import { fenToInput, localDay, qty, toFen, yuan } from "../format.js";
import { named, t } from "../i18n.js";
import { badge, busy, dateInput, field, fill, flash, form, h, input, select, showError, table } from "../ui.js";
import { activeButton } from "./manage.js";
import { SKILLS } from "./technicians.js";
import { CATEGORIES } from "./catalogue.js";

const ITEM_KINDS = ["labour", "part"];
const PRICE_KINDS = ["package", "part", "labour_rate", "fee"];

/** The packages' card (list and editor) and the price list's card. */
export function packageCards(ctx) {
  const state = { ctx, list: h("div", { class: "card wide", id: "packages" }, h("p", { class: "hint", text: t("loading") })),
    editor: h("div", { class: "card", id: "package-editor" }), operations: [], packages: [] };
  const prices = h("div", { class: "card wide", id: "price-list" }, h("p", { class: "hint", text: t("loading") }));
  state.reload = async () => {
    await load(state);
    loadPrices(prices, state);
  };
  api.all("/v1/labour-operations", { active: true }, 1000).then((ops) => {
    state.operations = ops;
    edit(state, null);
  }).catch((error) => { fill(state.editor, h("div", { class: "form-error" })); showError(state.editor, error); });
  state.reload();
  return [h("div", { class: "grid" }, state.editor, state.list), prices];
}

const contents = (pack, operations) => pack.items.map((item) => {
  if (item.kind === "labour") return operations.find((op) => op.code === item.op_code)?.name ?? item.op_code;
  return `${item.description || item.sku || item.fee_code} × ${qty(item.qty)}`;
}).join("、");

async function load(state) {
  try {
    const packages = await api.all("/v1/packages", {}, 500);
    packages.sort((a, b) => Number(b.active) - Number(a.active) || a.code.localeCompare(b.code));
    state.packages = packages;
    // codes and SKUs are typed by whoever entered them (`data-typed`: what a zh-CN check leaves alone)
    const rows = packages.map((p) => h("tr", { "data-package": p.code, "data-typed": [p.code, ...p.items.map((i) => i.sku || i.fee_code || "")].join(" ").trim() },
      h("td", {}, h("b", { text: p.name }), h("div", { class: "hint", text: p.code })),
      h("td", { text: contents(p, state.operations) }),
      h("td", { class: "num", text: p.pricing === "fixed" && p.fixed_price_fen !== null ? yuan(p.fixed_price_fen) : t("package_sum_price") }),
      h("td", { "data-stores": "", text: p.store_ids ? p.store_ids.map((id) => storeName(state.ctx, id)).join("、") : t("every_store") }),
      h("td", {}, p.active ? badge(t("offered"), "ok") : badge(t("inactive"), "bad")),
      h("td", { class: "actions" }, h("button", { type: "button", class: "secondary", "data-action": "edit", text: t("edit"),
        onclick: () => edit(state, p) }), activeButton(state, `/v1/packages/${p.id}`, p, p.name))));
    fill(state.list, h("h2", { text: t("packages") }),
      rows.length ? table([["package_name"], ["package_contents"], ["package_price", "num"], ["package_stores"], ["state"], [""]], rows)
        : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(state.list, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** One item of the package: a labour operation, or a part (its SKU) with a quantity. */
function itemRow(state, item) {
  const kind = select("kind", ITEM_KINDS.map((k) => [k, t(`kind_${k}`)]), { "aria-label": t("kind") });
  const op = select("op_code", state.operations.map((o) => [o.code, `${o.name} · ${o.code}`]), { "aria-label": t("labour_operation") });
  const sku = input("sku", { maxlength: 60, autocomplete: "off", "aria-label": t("sku"), placeholder: t("sku") });
  const amount = input("qty", { inputmode: "decimal", value: item ? String(Number(item.qty)) : "1", "aria-label": t("qty"), size: 5 });
  const remove = h("button", { type: "button", class: "link", text: t("remove") });
  const row = h("div", { class: "row package-item", "data-kind": item?.kind ?? "labour" },
    kind, h("span", { class: "field", "data-field": "op_code" }, op), h("span", { class: "field", "data-field": "sku" }, sku),
    h("span", { class: "field", "data-field": "qty" }, amount), remove);
  const show = () => {
    row.dataset.kind = kind.value;
    op.parentElement.hidden = kind.value !== "labour";
    sku.parentElement.hidden = kind.value !== "part";
  };
  kind.value = item?.kind ?? "labour";
  if (item?.op_code) op.value = item.op_code;
  if (item?.sku) sku.value = item.sku;
  kind.addEventListener("change", show);
  remove.addEventListener("click", () => row.remove());
  show();
  return row;
}

const itemOf = (row) => {
  const kind = row.querySelector("[name=kind]").value;
  const item = { kind, qty: row.querySelector("[name=qty]").value.trim() || "1" };
  if (kind === "labour") item.op_code = row.querySelector("[name=op_code]").value;
  else item.sku = row.querySelector("[name=sku]").value.trim();
  return item;
};

/** The form of a new package (`pack` null) or of one to change (its code stays; its items are replaced whole). */
function edit(state, pack) {
  const submit = h("button", { class: "primary", type: "submit", text: t(pack ? "save" : "add") });
  const kept = (pack?.items ?? []).filter((i) => ITEM_KINDS.includes(i.kind));
  const others = (pack?.items ?? []).filter((i) => !ITEM_KINDS.includes(i.kind)); // fees: kept as they are
  const items = h("div", { id: "package-items" }, (kept.length ? kept : [null]).map((item) => itemRow(state, item)));
  // the stores that offer it: none ticked, every store (a new store then offers it too)
  const stores = h("fieldset", { "data-field": "store_ids" }, h("legend", { text: t("package_stores") }),
    h("div", { class: "row" }, state.ctx.stores.map((s) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "store_ids", value: s.id, checked: pack?.store_ids?.includes(s.id) ?? false }), ` ${s.name}`))),
    h("small", { class: "hint", text: t("package_stores_hint") }), h("small", { class: "field-error" }));
  const editor = form({ id: "package-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const price = editor.fixed_price.value.trim();
    const fixed = price ? toFen(price) : null;
    if (Number.isNaN(fixed)) return showError(editor, { message: t("fix_fields"), fields: { fixed_price_fen: [t("amount_invalid")] } });
    const body = { name: editor.name.value.trim(), category: editor.category.value || null,
      pricing: fixed === null ? "sum" : "fixed", fixed_price_fen: fixed,
      store_ids: [...stores.querySelectorAll("[name=store_ids]:checked")].map((box) => box.value),
      items: [...[...items.querySelectorAll(".package-item")].map(itemOf), ...others.map(({ position, ...rest }) => rest)] };
    if (!body.store_ids.length) body.store_ids = null;
    const saved = await busy(submit, editor, () => (pack ? api.patch(`/v1/packages/${pack.id}`, body)
      : api.post("/v1/packages", { ...body, code: editor.code.value.trim() })));
    if (saved) {
      flash(`${t("saved")} · ${saved.name}`);
      edit(state, null);
      state.reload();
    }
  } },
  h("h2", { text: pack ? `${t("edit")} · ${pack.name}` : t("package_add") }),
  pack ? null : field("package_code", input("code", { required: true, maxlength: 40, autocomplete: "off" })),
  field("package_title", input("name", { required: true, maxlength: 100, value: pack?.name ?? "" })),
  h("div", { class: "row" },
    field("op_category", select("category", [["", "—"], ...CATEGORIES.map((c) => [c, named("op_category", c)])])),
    h("label", { class: "field", "data-field": "fixed_price_fen" }, h("span", { text: t("package_fixed_price") }),
      input("fixed_price", { inputmode: "decimal", value: pack?.pricing === "fixed" && pack.fixed_price_fen !== null ? fenToInput(pack.fixed_price_fen) : "" }),
      h("small", { class: "hint", text: t("package_price_hint") }), h("small", { class: "field-error" }))),
  h("fieldset", { "data-field": "items" }, h("legend", { text: t("package_contents") }), items,
    h("div", { class: "row" }, ...ITEM_KINDS.map((kind) => h("button", { type: "button", class: "secondary", "data-add": kind,
      text: `+ ${t(`kind_${kind}`)}`, onclick: () => {
        const row = itemRow(state, { kind, qty: 1 });
        items.append(row);
        row.querySelector(kind === "labour" ? "[name=op_code]" : "[name=sku]").focus();
      } }))), h("small", { class: "field-error" })),
  stores,
  h("div", { class: "row" }, submit, pack ? h("button", { type: "button", class: "secondary", text: t("cancel"),
    onclick: () => edit(state, null) }) : null));
  editor.category.value = pack?.category ?? "maintenance";
  fill(state.editor, editor);
}

// -- the price list ---------------------------------------------------------------------------------

const storeName = (ctx, id) => (id ? ctx.stores.find((s) => s.id === id)?.name ?? id : t("chain_price"));

export function keyName(state, kind, key) {
  if (kind === "package") return state.packages.find((p) => p.code === key)?.name ?? key;
  if (kind === "labour_rate") return named("skill", key);
  return key;
}

/** A store manager's card of the store's own prices (on 门店信息): the chain's prices with the range a store may
 * set, the store's own from a date, and a form for one more (the API holds it within the chain's range). */
export function storePriceCard(ctx) {
  const box = h("div", { class: "card wide", id: "store-prices" }, h("p", { class: "hint", text: t("loading") }));
  const state = { ctx, store: ctx.store.id, packages: [] };
  api.all("/v1/packages", { active: true, store_id: ctx.store.id }, 500).then((packages) => {
    state.packages = packages;
    loadPrices(box, state);
  }).catch((error) => { fill(box, h("div", { class: "form-error" })); showError(box, error); });
  return box;
}

async function loadPrices(box, state) {
  const { ctx } = state;
  try {
    const all = await api.all("/v1/price-lists", {}, 2000);
    const entries = all.filter((e) => !state.store || e.store_id === null || e.store_id === state.store).sort((a, b) => a.kind.localeCompare(b.kind) || a.key.localeCompare(b.key)
      || String(a.store_id ?? "").localeCompare(String(b.store_id ?? "")) || b.effective_from.localeCompare(a.effective_from));
    const rows = entries.map((e) => h("tr", { "data-price": e.id, "data-key": e.key, "data-typed": e.key },
      h("td", { text: t(`price_kind_${e.kind}`) }), h("td", { text: keyName(state, e.kind, e.key) }),
      h("td", { text: storeName(ctx, e.store_id) }), h("td", { class: "num", text: yuan(e.price_fen) }),
      h("td", { class: "num", text: e.min_fen === null && e.max_fen === null ? "—"
        : `${e.min_fen === null ? "—" : yuan(e.min_fen)} ~ ${e.max_fen === null ? "—" : yuan(e.max_fen)}` }),
      h("td", { text: e.effective_from })));
    fill(box, h("h2", { text: t(state.store ? "store_prices" : "price_list") }),
      h("p", { class: "hint", text: t(state.store ? "store_prices_hint" : "price_list_hint") }), priceForm(state, () => loadPrices(box, state)),
      rows.length ? table([["kind"], ["price_item"], ["price_scope"], ["price", "num"], ["price_limits", "num"], ["effective_from"]], rows)
        : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(box, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function priceForm(state, reload) {
  const { ctx } = state;
  const submit = h("button", { class: "primary", type: "submit", text: t("add") });
  const { kind, keyBox } = itemPicker(state);
  const entry = form({ id: "price-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const money = Object.fromEntries(["price", "min", "max"].map((name) => {
      const text = entry[name]?.value.trim() ?? "";
      return [name, text ? toFen(text) : null];
    }));
    const wrong = Object.entries(money).filter(([name, fen]) => Number.isNaN(fen) || (name === "price" && fen === null));
    if (wrong.length) {
      return showError(entry, { message: t("fix_fields"), fields: Object.fromEntries(wrong.map(([name]) => [`${name}_fen`, [t("amount_invalid")]])) });
    }
    const body = { kind: kind.value, key: entry.key.value.trim(), store_id: state.store ?? (entry.store_id.value || null),
      price_fen: money.price, min_fen: money.min, max_fen: money.max, effective_from: entry.effective_from.value };
    const saved = await busy(submit, entry, () => api.post("/v1/price-lists", body));
    if (saved) { flash(`${t("saved")} · ${keyName(state, saved.kind, saved.key)} ${yuan(saved.price_fen)}`); reload(); }
  } },
  h("div", { class: "row" }, field("kind", kind), keyBox, state.store ? null
    : field("price_scope", select("store_id", [["", t("chain_price")], ...ctx.stores.map((s) => [s.id, s.name])]))),
  h("div", { class: "row" }, // a store's own price has no range of its own: the chain's holds it
    ...[["price", "price_yuan"], ...(state.store ? [] : ["min", "max"].map((limit) => [limit, `price_${limit}`]))].map(([name, label]) =>
      h("label", { class: "field", "data-field": `${name}_fen` }, h("span", { text: t(label) }),
        input(name, { inputmode: "decimal" }), h("small", { class: "field-error" }))),
    field("effective_from", dateInput("effective_from", { required: true, value: localDay(ctx.tz) }))),
  submit);
  return entry;
}

/** An item of the price list to pick (its kind, then the package, the skill, or a part's SKU or a fee's code
 * typed): the form's `kind` and `key`; `state.packages` are the packages offered. */
export function itemPicker(state) {
  const kind = select("kind", PRICE_KINDS.map((k) => [k, t(`price_kind_${k}`)]));
  const keyBox = h("span", {});
  const keyControl = () => {
    if (kind.value === "package") return select("key", state.packages.filter((p) => p.active).map((p) => [p.code, p.name]));
    if (kind.value === "labour_rate") return select("key", ["general", ...SKILLS].map((s) => [s, named("skill", s)]));
    return input("key", { maxlength: 60, autocomplete: "off" });
  };
  const showKey = () => fill(keyBox, field("price_item", keyControl()));
  kind.addEventListener("change", showKey);
  showKey();
  return { kind, keyBox };
}
