// Inventory: stock with a low-stock filter, receiving a purchase order, transfers between
// stores (request, ship, receive) and a stocktake count screen.
import { api } from "../api.js";
import { dateTime, qty, yuan } from "../format.js";
import { filesCard } from "../files.js";
import { t } from "../i18n.js";
import { badge, busy, exportButtons, field, fill, form, h, input, loading, select, table, tabbed, values } from "../ui.js";

export function render(root, ctx) {
  root.append(h("h1", { text: t("nav_inventory") }), tabbed({
    stock: () => stockTab(ctx),
    purchase_orders: () => purchaseOrdersTab(ctx),
    transfers: () => transfersTab(ctx),
    stocktake: () => stocktakeTab(ctx),
  }));
}

function stockTab(ctx) {
  const list = h("div", {});
  const submit = h("button", { type: "submit", class: "secondary", text: t("search") });
  const filter = form({ id: "stock-filter", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(filter);
    const page = await busy(submit, filter, () => api.get("/v1/stock", { store_id: ctx.store.id, q: v.q, below_reorder: v.low ? "true" : undefined, limit: 100 }));
    if (page) fill(list, table([["sku"], ["part_name"], ["on_hand", "num"], ["reserved", "num"], ["available", "num"], ["on_order", "num"], ["reorder_point", "num"], ["stock_value", "num"]],
      page.items.map((s) => h("tr", { "data-sku": s.sku },
        h("td", { text: s.sku }), h("td", {}, s.name, s.below_reorder ? badge(t("low_stock"), "bad") : ""),
        ...[s.on_hand, s.reserved, s.available, s.on_order, s.reorder_point].map((n) => h("td", { class: "num", text: qty(n) })),
        h("td", { class: "num", text: yuan(s.value_fen) })))));
  } },
  h("div", { class: "row" }, field("stock_search", input("q")),
    h("label", {}, input("low", { type: "checkbox", value: "1" }), ` ${t("low_stock_only")}`), submit,
    exportButtons(api, "/v1/stock", () => {
      const v = values(filter);
      return { store_id: ctx.store.id, q: v.q || undefined, below_reorder: v.low ? "true" : undefined };
    }, t("export_name_stock"))));
  queueMicrotask(() => filter.requestSubmit());
  return h("div", { class: "card" }, filter, list);
}

function purchaseOrdersTab(ctx) {
  return loading("purchase-orders", async () => {
    const pages = await Promise.all(["ordered", "partially_received"].map((status) => api.get("/v1/purchase-orders", { store_id: ctx.store.id, status, limit: 50 })));
    const orders = pages.flatMap((p) => p.items);
    const returnable = (await Promise.all(["partially_received", "received"].map((status) => api.get("/v1/purchase-orders", { store_id: ctx.store.id, status, limit: 50 }))))
      .flatMap((p) => p.items);
    return [h("h2", { text: t("to_receive") }), ...(orders.length ? orders.map((po) => receiveForm(po, ctx)) : [h("p", { class: "hint", text: t("none") })]),
      h("h2", { text: t("return_to_supplier") }), ...(returnable.length ? returnable.map(returnForm) : [h("p", { class: "hint", text: t("none") })])];
  });
}

/** Goods received on an order sent back to its supplier: at most what came in and is not yet returned. */
function returnForm(po) {
  const submit = h("button", { type: "submit", class: "secondary", text: t("return_to_supplier") });
  const sendBack = form({ class: "return-form", "data-po": po.number, onsubmit: async (event) => {
    event.preventDefault();
    const lines = po.lines.map((line, i) => ({ sku: line.sku, qty: Number(sendBack.querySelector(`[name="returns.${i}.qty"]`).value || 0) }))
      .filter((line) => line.qty > 0);
    const done = await busy(submit, sendBack, () => api.post(`/v1/purchase-orders/${po.id}/returns`, { lines, reason: sendBack.reason.value.trim() }));
    if (done) sendBack.replaceWith(h("p", { class: "ok-text", "data-returned": po.number, text: `${po.number} · ${t("returned_to_supplier")} ${yuan(done.value_fen)}` }));
  } },
  h("h3", { text: `${po.number} · ${po.supplier_name ?? ""}` }),
  table([["sku"], ["received", "num"], ["returned", "num"], ["qty"]], po.lines.map((line, i) => h("tr", {},
    h("td", { text: line.sku }), h("td", { class: "num", text: qty(line.qty_received) }), h("td", { class: "num", text: qty(line.qty_returned) }),
    h("td", {}, h("label", { class: "field", "data-field": `lines.${line.sku}` },
      input(`returns.${i}.qty`, { type: "number", min: 0, step: "any", value: 0, style: "width:6rem" }), h("small", { class: "field-error" })))))),
  field("reason", input("reason", { required: true, maxlength: 200 })), submit);
  return sendBack;
}

function receiveForm(po, ctx) {
  const submit = h("button", { type: "submit", class: "primary", text: t("receive") });
  const receive = form({ class: "receive-form", "data-po": po.id, onsubmit: async (event) => {
    event.preventDefault();
    const lines = po.lines.map((line, i) => ({ sku: line.sku, qty: Number(receive.querySelector(`[name="lines.${i}.qty"]`).value || 0) }))
      .filter((line) => line.qty > 0);
    const done = await busy(submit, receive, () => api.post(`/v1/purchase-orders/${po.id}/receipts`, { lines, delivery_note: receive.delivery_note.value || undefined }));
    if (done) {
      receive.replaceWith(h("div", { class: "received", "data-receipt": done.id }, h("p", { class: "ok-text", text: `${po.number} · ${t("received")}` }),
        h("p", { class: "hint", text: t("receipt_files") }), filesCard(`/v1/receipts/${done.id}/attachments`, ctx)));
    }
  } },
  h("h3", { text: `${po.number} · ${po.supplier_name ?? ""} · ${t(`po_${po.status}`)}` }),
  table([["sku"], ["ordered", "num"], ["received", "num"], ["qty"]], po.lines.map((line, i) => h("tr", {},
    h("td", { text: line.sku }), h("td", { class: "num", text: qty(line.qty_ordered) }), h("td", { class: "num", text: qty(line.qty_received) }),
    h("td", {}, h("label", { class: "field", "data-field": `lines.${i}.qty` },
      input(`lines.${i}.qty`, { type: "number", min: 0, step: "any", value: qty(line.qty_outstanding), style: "width:6rem" }), h("small", { class: "field-error" })))))),
  field("delivery_note", input("delivery_note")), submit);
  return receive;
}

function transfersTab(ctx) {
  const others = ctx.stores.filter((s) => s.id !== ctx.store.id);
  const submit = h("button", { type: "submit", class: "primary", text: t("request_transfer") });
  const request = form({ id: "transfer-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(request);
    const made = await busy(submit, request, () => api.post("/v1/transfers", { from_store_id: v.from_store_id, to_store_id: ctx.store.id,
      lines: [{ sku: v.sku.trim(), qty: Number(v.qty) }] }));
    if (made) request.after(h("p", { class: "ok-text", text: `${made.number} · ${t(`transfer_${made.status}`)}` }));
  } },
  h("h2", { text: t("request_transfer") }),
  h("div", { class: "row" },
    field("from_store", select("from_store_id", others.map((s) => [s.id, s.name]))),
    h("label", { class: "field", "data-field": "lines" }, h("span", { text: t("sku") }), input("sku", { required: true }), h("small", { class: "field-error" })),
    field("qty", input("qty", { type: "number", min: 0, step: "any", value: 1 }))), submit);
  const name = (id) => ctx.stores.find((s) => s.id === id)?.name ?? id;
  const list = loading("transfers", async () => {
    const page = await api.get("/v1/transfers", { store_id: ctx.store.id, limit: 50 });
    return [h("h2", { text: t("transfers") }), table([["number"], ["from_store"], ["to_store"], ["state"], ["lines"], [""]], page.items.map((tr) => {
      const outgoing = tr.from_store_id === ctx.store.id;
      const step = outgoing && tr.status === "requested" ? "ship" : !outgoing && tr.status === "shipped" ? "receive" : null;
      const cell = h("td", {});
      if (step) {
        const button = h("button", { type: "button", class: "secondary", text: t(step) });
        button.addEventListener("click", async () => {
          const next = await busy(button, cell, () => api.post(`/v1/transfers/${tr.id}/${step}`, {}));
          if (next) fill(cell, badge(t(`transfer_${next.status}`), "ok"));
        });
        cell.append(button, h("div", { class: "form-error" }));
      }
      return h("tr", { "data-transfer": tr.id }, h("td", { text: tr.number }), h("td", { text: name(tr.from_store_id) }), h("td", { text: name(tr.to_store_id) }),
        h("td", {}, badge(t(`transfer_${tr.status}`))), h("td", { text: tr.lines.map((l) => `${l.sku} × ${qty(l.qty_requested)}`).join("、") }), cell);
    }))];
  });
  return h("div", {}, h("div", { class: "card" }, request), list);
}

function stocktakeTab(ctx) {
  return loading("stocktake", async () => {
    const open = (await api.get("/v1/stocktakes", { store_id: ctx.store.id, status: "open", limit: 1 })).items[0];
    if (open) return [countScreen(open, ctx)];
    const start = h("button", { type: "button", class: "primary", text: t("open_stocktake") });
    const box = h("div", {}, h("p", { class: "hint", text: t("no_open_stocktake") }), start, h("div", { class: "form-error" }));
    start.addEventListener("click", async () => {
      const made = await busy(start, box, () => api.post("/v1/stocktakes", { store_id: ctx.store.id }));
      if (made) box.replaceWith(countScreen(made, ctx));
    });
    return [box];
  });
}

function countScreen(stocktake, ctx) {
  const save = h("button", { type: "submit", class: "primary", text: t("save_counts") });
  const post = h("button", { type: "button", class: "danger", text: t("post_stocktake") });
  const counts = form({ id: "count-form", onsubmit: async (event) => {
    event.preventDefault();
    const entered = stocktake.lines.map((line, i) => ({ sku: line.sku, value: counts.querySelector(`[name="counts.${i}.qty"]`).value }))
      .filter((c) => c.value !== "").map((c) => ({ sku: c.sku, qty: Number(c.value) }));
    const next = await busy(save, counts, () => api.post(`/v1/stocktakes/${stocktake.id}/counts`, { counts: entered }));
    if (next) counts.replaceWith(countScreen(next, ctx));
  } },
  h("h2", { text: `${t("stocktake")} ${stocktake.number} · ${dateTime(stocktake.opened_at, ctx.tz)}` }),
  table([["sku"], ["counted", "num"], ["variance", "num"], ["qty"]], stocktake.lines.map((line, i) => h("tr", { "data-sku": line.sku },
    h("td", { text: line.sku }), h("td", { class: "num", text: qty(line.qty_counted) }),
    h("td", { class: "num", text: line.variance_qty === null ? "—" : `${qty(line.variance_qty)} (${yuan(line.variance_value_fen)})` }),
    h("td", {}, h("label", { class: "field", "data-field": `counts.${i}.qty` },
      input(`counts.${i}.qty`, { type: "number", min: 0, step: "any", style: "width:6rem" }), h("small", { class: "field-error" })))))),
  h("div", { class: "row" }, save, post));
  post.addEventListener("click", async () => {
    const posted = await busy(post, counts, () => api.post(`/v1/stocktakes/${stocktake.id}/post`, { uncounted: "keep" }));
    if (posted) counts.replaceWith(h("p", { class: "ok-text", text: `${posted.number} · ${t("posted")} · ${yuan(posted.variance_value_fen ?? 0)}` }));
  });
  return counts;
}
