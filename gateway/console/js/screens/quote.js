// Advisor · quote builder: labour, parts (catalogue search with price and stock) and fees, live
// totals, discount and its approval (manager), present, the customer's decision per line, the
// contract with deposit and a signature drawn on screen, then the order's status line (with the signature and
// whether the contract still matches it); a findings quote shows the findings' photos. `#/quotes` lists the store's.
import { api } from "../api.js";
import { dateTime, fenToInput, hours, qty, toFen, yuan } from "../format.js";
import { orderLine, t } from "../i18n.js";
import { badge, busy, field, fill, form, h, input, printButton, select, showError, table, tabbed, values } from "../ui.js";
import { CHANGED as APPROVALS_CHANGED, needs as approvalNeeds, rejectForm } from "./approvals.js";
import { watch } from "../live.js";
import { quoteFindings, signatureView } from "../photos.js";
import { signaturePad } from "/m/js/signature.js"; // the phone app's pad: one drawing surface for both

export function render(root, ctx) {
  const [quoteId] = ctx.args;
  quoteId ? renderQuote(root, ctx, quoteId) : renderList(root, ctx);
}

async function renderList(root, ctx) {
  root.append(h("h1", { text: t("nav_quotes") }));
  const page = await api.get("/v1/quotes", { store_id: ctx.store.id, limit: 50 }).catch((error) => showError(root, error));
  if (!page) return;
  root.append(h("div", { class: "card" }, table([["number"], ["state"], ["approval"], ["total", "num"], ["created_at"]],
    page.items.map((q) => h("tr", { "data-quote": q.id },
      h("td", {}, h("a", { href: `#/quotes/${q.id}`, text: q.number })),
      h("td", {}, badge(t(`quote_${q.state}`))),
      h("td", {}, q.approval_status === "pending" ? badge(t("approval_pending"), "warn") : ""),
      h("td", { class: "num", text: yuan(q.totals.total_fen) }),
      h("td", { text: dateTime(q.created_at, ctx.tz) }))))));
}

async function renderQuote(root, ctx, quoteId) {
  let quote;
  try {
    quote = await api.get(`/v1/quotes/${quoteId}`);
  } catch (error) {
    root.append(h("h1", { text: t("nav_quotes") }), h("div", { class: "form-error" }));
    showError(root, error);
    return;
  }
  const visit = await api.get(`/v1/visits/${quote.visit_id}`).catch(() => null);
  const view = h("div", { id: "quote" });
  const refresh = (next) => { quote = next; draw(); };
  const draw = () => fill(view, ...quoteView(quote, visit, ctx, refresh));
  root.append(view);
  draw();
  // the owner decides on the phone, a manager approves the discount: the quote moves without a reload
  watch(view, ["sales.quote_decided", "sales.quote_approval_changed"], async () => {
    const next = await api.get(`/v1/quotes/${quoteId}`).catch(() => null);
    const moved = (q) => [q.state, q.approval_status, q.decided_at].join();
    if (next && moved(next) !== moved(quote)) refresh(next);
  });
}

function quoteView(quote, visit, ctx, refresh) {
  const draft = quote.state === "draft";
  const header = h("div", { class: "row" },
    h("h1", { text: `${t("quote")} ${quote.number}` }),
    badge(t(`quote_${quote.state}`), "ok"), " ",
    quote.approval_status === "pending" ? badge(t("approval_pending"), "warn")
      : quote.approval_status === "approved" ? badge(t("approval_approved"), "ok")
        : quote.approval_status === "rejected" ? badge(t("approval_rejected"), "bad") : "",
    h("span", { class: "spacer" }), printButton(api, `/v1/quotes/${quote.id}/pdf`));
  const who = visit ? h("p", { class: "hint", text: `${visit.customer_name ?? ""} · ${visit.plate ?? ""} · ${visit.mileage_km ?? "—"} km · ${(visit.needs || []).map(needLabel).join("、")}${visit.budget_fen ? ` · ${t("budget_yuan")} ${yuan(visit.budget_fen)}` : ""}` }) : null;
  const notes = quote.notes ? h("p", { class: "hint", id: "quote-notes", style: "white-space:pre-line", text: quote.notes }) : null;
  const signed = quote.customer_signature ? h("div", { class: "card", id: "customer-signature" },
    h("h2", { text: t("customer_signature") }), signatureView(quote.customer_signature, (at) => dateTime(at, ctx.tz))) : null;
  return [header, who, notes, quoteFindings(quote.id), signed, h("div", { class: "grid" },
    h("div", { class: "card" }, linesTable(quote, refresh), totals(quote)),
    h("div", {},
      draft ? addLineCard(quote, ctx, refresh) : null,
      draft || ["pending", "rejected"].includes(quote.approval_status) ? discountCard(quote, ctx, refresh) : null,
      stageCard(quote, ctx, refresh)))];
}

/** The reception's standard needs in the reader's language; free-text needs as typed. */
const needLabel = (need) => (t(`need_${need}`) === `need_${need}` ? need : t(`need_${need}`));

function linesTable(quote, refresh) {
  const draft = quote.state === "draft";
  const deciding = quote.state === "presented";
  return table([["kind"], ["description"], ["qty", "num"], ["unit_price", "num"], ["total", "num"], [deciding ? "decision" : ""]],
    quote.lines.map((line) => h("tr", { "data-line": line.id },
      h("td", { text: t(`kind_${line.kind}`) }),
      h("td", {}, line.description || line.sku, line.kind === "part"
        ? h("div", { class: "hint" }, line.available ? badge(`${t("in_stock")} ${qty(line.available_qty)}`, "ok")
          : badge(`${t("short")} · ${t("available")} ${qty(line.available_qty ?? 0)}`, "bad")) : null),
      h("td", { class: "num", text: line.kind === "labour" ? hours(line.hours) : qty(line.qty) }),
      h("td", { class: "num", text: yuan(line.unit_price_fen) }),
      h("td", { class: "num", text: yuan(line.total_fen) }),
      h("td", {}, draft ? removeButton(quote, line, refresh)
        : deciding ? decisionChoice(line) : badge(t(`decision_${line.decision}`))))));
}

function removeButton(quote, line, refresh) {
  const button = h("button", { type: "button", class: "link", text: t("remove") });
  button.addEventListener("click", async () => {
    const next = await busy(button, button.closest("#quote"), () => api.del(`/v1/quotes/${quote.id}/lines/${line.id}`));
    if (next) refresh(next);
  });
  return button;
}

function decisionChoice(line) {
  return h("span", { class: "row" },
    h("label", {}, input(`decision-${line.id}`, { type: "radio", value: "approved", checked: true }), ` ${t("decision_approved")}`),
    h("label", {}, input(`decision-${line.id}`, { type: "radio", value: "declined" }), ` ${t("decision_declined")}`));
}

function totals(quote) {
  const sums = quote.totals;
  return h("div", { class: "totals", id: "totals" },
    h("span", { text: t("subtotal") }), h("span", { class: "num", text: yuan(sums.subtotal_fen) }),
    h("span", { text: t("discount") }), h("span", { class: "num", text: `-${yuan(sums.discount_fen).replace("-", "")}` }),
    h("span", { text: t("tax") }), h("span", { class: "num", text: yuan(sums.tax_fen) }),
    h("span", { class: "grand", text: t("total") }), h("span", { class: "grand num", "data-total": sums.total_fen, text: yuan(sums.total_fen) }));
}

function addLineCard(quote, ctx, refresh) {
  return h("div", { class: "card" }, h("h2", { text: t("add_line") }), tabbed({
    add_labour: () => labourForm(quote, ctx, refresh),
    add_part: () => partForm(quote, ctx, refresh),
    add_fee: () => feeForm(quote, ctx, refresh),
    add_package: () => packagePicker(quote, ctx, refresh),
  }));
}

async function addLine(button, lineForm, quote, body, refresh) {
  const next = await busy(button, lineForm, () => api.post(`/v1/quotes/${quote.id}/lines`, body));
  if (next) refresh(next);
}

function labourForm(quote, ctx, refresh) {
  const submit = h("button", { class: "primary", type: "submit", text: t("add") });
  const ops = h("datalist", { id: "labour-ops" });
  const labour = form({ id: "labour-form", onsubmit: (event) => {
    event.preventDefault();
    const v = values(labour);
    const op = [...ops.options].find((o) => o.value === v.description);
    addLine(submit, labour, quote, { kind: "labour", description: v.description,
      ...(op ? { op_code: op.dataset.code } : {}), ...(v.hours ? { hours: Number(v.hours) } : {}) }, refresh);
  } },
  h("div", { class: "row" },
    field("description", input("description", { list: "labour-ops", required: true, autocomplete: "off" })),
    field("hours", input("hours", { type: "number", step: "0.1", min: 0 }))), ops, submit);
  labour.description.setAttribute("list", "labour-ops");
  labour.description.addEventListener("input", async () => {
    const text = labour.description.value.trim();
    if (text.length < 1) return;
    const page = await api.get("/v1/labour-operations", { q: text, limit: 10 }).catch(() => ({ items: [] }));
    fill(ops, ...page.items.map((op) => h("option", { value: op.name, "data-code": op.code, text: `${op.code} · ${hours(op.standard_hours)}` })));
  });
  return labour;
}

function partForm(quote, ctx, refresh) {
  const results = h("div", { id: "part-results" });
  const searchButton = h("button", { class: "secondary", type: "submit", text: t("search") });
  const search = form({ id: "part-search", onsubmit: async (event) => {
    event.preventDefault();
    const page = await busy(searchButton, search, () => api.get("/v1/parts", { q: search.q.value.trim(), limit: 10 }));
    if (!page) return;
    const skus = page.items.map((p) => p.sku);
    const stock = skus.length ? await api.get("/v1/stock/availability", { store_id: ctx.store.id, skus: skus.join(",") }).catch(() => ({ items: [] })) : { items: [] };
    const bySku = Object.fromEntries(stock.items.map((s) => [s.sku, s]));
    fill(results, page.items.length ? table([["sku"], ["part_name"], ["unit_price", "num"], ["available", "num"], ["qty"], [""]],
      page.items.map((part) => partRow(part, bySku[part.sku], quote, refresh))) : h("p", { class: "hint", text: t("nothing_found") }));
  } },
  h("div", { class: "row" }, field("part_search", input("q", { required: true, placeholder: t("part_search_hint") })), searchButton));
  return h("div", {}, search, results);
}

function partRow(part, stock, quote, refresh) {
  const count = input("qty", { type: "number", min: "0.001", step: "any", value: 1, style: "width:5rem" });
  const add = h("button", { type: "button", class: "secondary", text: t("add") });
  const free = Number(stock?.available ?? 0);
  const availability = h("td", { class: "num", "data-available": "" });
  // like the quote line: in stock only when what is free covers the quantity typed
  const show = () => fill(availability, badge(qty(free), free >= Number(count.value || 0) && free > 0 ? "ok" : "bad"));
  count.addEventListener("input", show);
  show();
  const row = h("tr", { "data-sku": part.sku },
    h("td", { text: part.sku }), h("td", { text: [part.name, part.brand].filter(Boolean).join(" · ") }),
    h("td", { class: "num", text: yuan(stock?.price_fen ?? part.list_price_fen) }),
    availability,
    h("td", {}, h("label", { class: "field", "data-field": "qty" }, count, h("small", { class: "field-error" }))),
    h("td", {}, add, h("div", { class: "form-error" })));
  add.addEventListener("click", () => addLine(add, row, quote, { kind: "part", sku: part.sku, qty: Number(count.value) }, refresh));
  return row;
}

/** The active packages (套餐) this store offers, by name, each with what it holds in words and the store's
 * stock of its parts; a part with alternatives (grade, fitment) can be chosen before adding. */
function packagePicker(quote, ctx, refresh) {
  const list = h("div", { id: "package-picker" }, h("p", { class: "hint", text: t("loading") }));
  Promise.all([api.all("/v1/packages", { active: true, store_id: ctx.store.id }), api.all("/v1/labour-operations")]).then(async ([packages, ops]) => {
    const skus = [...new Set(packages.flatMap((p) => p.items.flatMap((i) => (i.kind === "part" ? [i.sku, ...i.sku_options] : []))))].filter(Boolean);
    const stock = skus.length ? await api.get("/v1/stock/availability", { store_id: ctx.store.id, skus: skus.join(",") }) : { items: [] };
    const names = { op: Object.fromEntries(ops.map((op) => [op.code, op.name])), part: Object.fromEntries(stock.items.map((s) => [s.sku, s])) };
    fill(list, packages.length ? table([["package_name"], ["package_contents"], [""]],
      packages.map((p) => packageRow(p, names, quote, refresh))) : h("p", { class: "hint", text: t("nothing_found") }));
  }).catch((error) => { fill(list, h("div", { class: "form-error" })); showError(list, error); });
  return list;
}

function packageRow(pack, names, quote, refresh) {
  const add = h("button", { type: "button", class: "secondary", text: t("add") });
  const partName = (sku) => names.part[sku]?.name ?? sku;
  const choices = [];
  const contents = pack.items.map((item) => {
    if (item.kind === "labour") return h("li", { text: `${t("kind_labour")} · ${item.description || names.op[item.op_code] || item.op_code}` });
    if (item.kind === "fee") return h("li", { text: `${t("kind_fee")} · ${item.description || item.fee_code}` });
    const free = Number(names.part[item.sku]?.available ?? 0);
    const stockBadge = badge(`${t("available")} ${qty(free)}`, free >= Number(item.qty) ? "ok" : "bad");
    if (!item.sku_options.length) return h("li", {}, `${t("kind_part")} · ${partName(item.sku)} × ${qty(item.qty)} `, stockBadge);
    const choice = select(`choice-${item.position}`, [item.sku, ...item.sku_options].map((sku) => [sku, partName(sku)]));
    choices.push([item.position, item.sku, choice]);
    return h("li", {}, `${t("kind_part")} · `, choice, ` × ${qty(item.qty)} `, stockBadge);
  });
  const row = h("tr", { "data-package": pack.code },
    h("td", {}, h("b", { text: pack.name }), h("div", { class: "hint", text: pack.pricing === "fixed" ? t("package_fixed_price") : t("package_sum_price") })),
    h("td", {}, h("ul", { class: "list" }, contents)),
    h("td", {}, add, h("div", { class: "form-error" })));
  add.addEventListener("click", async () => {
    const partChoices = Object.fromEntries(choices.filter(([, sku, choice]) => choice.value !== sku)
      .map(([position, , choice]) => [String(position), choice.value]));
    const next = await busy(add, row, () => api.post(`/v1/quotes/${quote.id}/packages`, { package: pack.code,
      ...(Object.keys(partChoices).length ? { part_choices: partChoices } : {}) }));
    if (next) refresh(next);
  });
  return row;
}

function feeForm(quote, ctx, refresh) {
  const submit = h("button", { class: "primary", type: "submit", text: t("add") });
  const fee = form({ id: "fee-form", onsubmit: (event) => {
    event.preventDefault();
    const v = values(fee);
    const amount = toFen(v.amount_yuan);
    if (Number.isNaN(amount)) return showError(fee, { message: t("fix_fields"), fields: { unit_price_fen: [t("amount_invalid")] } });
    addLine(submit, fee, quote, { kind: "fee", description: v.description, unit_price_fen: amount }, refresh);
  } },
  h("div", { class: "row" }, field("description", input("description", { required: true })),
    h("label", { class: "field", "data-field": "unit_price_fen" }, h("span", { text: t("amount_yuan") }),
      input("amount_yuan", { inputmode: "decimal", required: true }), h("small", { class: "field-error" }))), submit);
  return fee;
}

function discountCard(quote, ctx, refresh) {
  const card = h("div", { class: "card", id: "discount" }, h("h2", { text: t("discount") }));
  if (quote.approval_status === "pending") {
    card.append(h("p", { class: "hint", text: `${t("approval_pending")}: ${approvalNeeds(quote).join(t("sep_clause"))}` }));
    if (ctx.user.manages) {
      card.append(approveForm(quote, refresh), rejectForm(quote, (next) => {
        refresh(next);
        window.dispatchEvent(new CustomEvent(APPROVALS_CHANGED));
      }));
    }
  }
  if (quote.approval_status === "rejected") {
    card.append(h("p", { class: "form-error", id: "discount-rejected", text: `${t("approval_rejected")}: ${quote.rejection_reason ?? ""}` }));
  }
  if (quote.state !== "draft") return card;
  const submit = h("button", { class: "secondary", type: "submit", text: t("apply_discount") });
  const discount = form({ id: "discount-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(discount);
    const value = v.kind === "amount" ? toFen(v.value) : Number(v.value);
    if (Number.isNaN(value) || v.value === "") return showError(discount, { message: t("fix_fields"), fields: { value: [t("amount_invalid")] } });
    const next = await busy(submit, discount, () => api.post(`/v1/quotes/${quote.id}/discount`, { kind: v.kind, value, reason: v.reason }));
    if (next) refresh(next);
  } },
  h("div", { class: "row" },
    field("discount_kind", select("kind", [["percent", t("percent")], ["amount", t("amount_yuan")]])),
    field("value", input("value", { inputmode: "decimal", value: quote.discount_kind === "amount" ? fenToInput(quote.discount_value) : quote.discount_value ?? "" }))),
  field("reason", input("reason", { required: true, value: quote.discount_reason ?? "" })), submit);
  card.append(discount);
  return card;
}

function approveForm(quote, refresh) {
  const submit = h("button", { class: "primary", type: "submit", text: t("approve_discount") });
  const approve = form({ id: "approve-form", onsubmit: async (event) => {
    event.preventDefault();
    const next = await busy(submit, approve, () => api.post(`/v1/quotes/${quote.id}/discount/approve`, { note: approve.note.value }));
    if (next) { refresh(next); window.dispatchEvent(new CustomEvent(APPROVALS_CHANGED)); }
  } }, field("note", input("note")), submit);
  return approve;
}

function stageCard(quote, ctx, refresh) {
  const card = h("div", { class: "card", id: "stage" });
  const act = (label, path, body) => {
    const button = h("button", { class: "primary", type: "button", text: t(label), "data-action": label });
    button.addEventListener("click", async () => {
      const next = await busy(button, card, () => api.post(path, body()));
      if (next) refresh(next);
    });
    return button;
  };
  if (quote.state === "draft") {
    card.append(act("present", `/v1/quotes/${quote.id}/present`, () => ({})));
  } else if (quote.state === "presented") {
    card.append(h("p", { class: "hint", text: t("decision_hint") }), act("record_decision", `/v1/quotes/${quote.id}/decision`, () => {
      const chosen = (value) => quote.lines.filter((l) => document.querySelector(`[name="decision-${l.id}"]:checked`)?.value === value).map((l) => l.id);
      return { approved_line_ids: chosen("approved"), declined_line_ids: chosen("declined") };
    }), customerLink(quote, ctx));
  } else if (["approved", "partially_approved"].includes(quote.state)) {
    card.append(contractForm(quote, ctx));
  } else if (quote.order_id) {
    card.append(orderStatus(quote.order_id, ctx));
  }
  card.append(h("div", { class: "form-error" }));
  return card;
}

/** Sends the customer a link to decide the presented quote on their phone (texted by the gateway),
 * shows the link to copy, and revokes every live link. */
function customerLink(quote, ctx) {
  const box = h("div", { id: "customer-link" });
  const send = h("button", { type: "button", text: t("send_link"), "data-action": "send_link" });
  const revoke = h("button", { type: "button", text: t("revoke_link"), "data-action": "revoke_link" });
  send.addEventListener("click", async () => {
    const link = await busy(send, box, () => api.post(`/v1/quotes/${quote.id}/customer-link`, {}));
    if (!link) return;
    fill(shown, h("input", { readonly: true, name: "link", value: `${location.origin}${link.url}` }),
      h("p", { class: "hint", text: [link.texted_to ? `${t("link_texted_to")} ${link.texted_to}` : t("link_not_texted"),
        `${t("link_valid_until")} ${dateTime(link.expires_at, ctx.tz)}`].join(" · ") }));
  });
  revoke.addEventListener("click", async () => {
    const revoked = await busy(revoke, box, () => api.del(`/v1/quotes/${quote.id}/customer-link`));
    if (revoked) fill(shown, h("p", { class: "hint", text: `${t("links_revoked")} ${revoked.revoked}` }));
  });
  const shown = h("div", {});
  box.append(h("h2", { text: t("customer_link") }), h("p", { class: "hint", text: t("customer_link_hint") }),
    h("div", { class: "row" }, send, revoke), shown, h("div", { class: "form-error" }));
  return box;
}

function contractForm(quote, ctx) {
  const submit = h("button", { class: "primary", type: "submit", text: t("sign_contract") });
  const result = h("div", {});
  const pad = signaturePad();
  pad.canvas.setAttribute("aria-label", t("signature_pad"));
  const contract = form({ id: "contract-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(contract);
    const deposit = v.deposit_yuan ? toFen(v.deposit_yuan) : 0;
    if (Number.isNaN(deposit)) return showError(contract, { message: t("fix_fields"), fields: { deposit_fen: [t("amount_invalid")] } });
    const order = await busy(submit, contract, () => api.post(`/v1/quotes/${quote.id}/contract`, {
      payment_method: v.payment_method, signed_by: v.signed_by.trim(), ...(pad.isEmpty() ? {} : { signature_png: pad.png() }),
      ...(deposit ? { deposit_fen: deposit, deposit_reference: v.deposit_reference || undefined } : {}) }));
    if (order) {
      contract.replaceWith(orderStatus(order.id, ctx));
    }
  } },
  h("h2", { text: t("contract") }),
  h("div", { class: "row" },
    field("payment_method", select("payment_method", ["wechat", "alipay", "cash", "card", "stored_value", "transfer"].map((m) => [m, t(`method_${m}`)]))),
    h("label", { class: "field", "data-field": "deposit_fen" }, h("span", { text: t("deposit_yuan") }),
      input("deposit_yuan", { inputmode: "decimal" }), h("small", { class: "field-error" })),
    field("deposit_reference", input("deposit_reference"))),
  field("signed_by", input("signed_by", { required: true })),
  h("div", { class: "field", "data-field": "signature_png" }, h("span", { text: t("draw_signature") }), pad.canvas,
    h("button", { type: "button", class: "link", text: t("clear_signature"), onclick: () => pad.clear() }),
    h("small", { class: "field-error" })), submit);
  return h("div", {}, contract, result);
}

function orderStatus(orderId, ctx) {
  const box = h("div", { id: "order-status" }, h("p", { class: "hint", text: t("loading") }));
  api.get(`/v1/orders/${orderId}`).then((order) => fill(box,
    h("h2", { text: `${t("order")} ${order.number}` }),
    h("p", {}, badge(t(`order_${order.state}`), "ok"), " ", h("span", { class: "status-line", text: orderLine(order) })),
    h("p", { class: "hint", text: `${t("deposit_yuan")} ${yuan(order.deposit_fen)} · ${t("signed_by")} ${order.signed_by} · ${dateTime(order.signed_at || order.confirmed_at, ctx.tz)}` }),
    order.signature ? signatureView(order.signature, (at) => dateTime(at, ctx.tz)) : null,
    printButton(api, `/v1/orders/${order.id}/contract.pdf`)))
    .catch((error) => showError(box, error));
  return box;
}
