// Cashier: open invoices; an invoice with its lines, deposit and amount due; a payment split
// across methods (each part posted once, a retry continues with the parts not yet taken);
// a QR code the customer scans with WeChat Pay (微信扫码) or Alipay (支付宝扫码); refunds (through the
// provider for money it took); money paid by scan that nothing was owed for; member cards; the day's close.
// Live: the open invoices follow finance's invoices and payments (live.js; polled while the stream is down).
import { api } from "../api.js";
import { dateTime, fenToInput, hours, localDay, qty, toFen, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, exportButtons, field, fill, flash, form, h, input, loading, newest, printButton, select, showError, table, values } from "../ui.js";
import { watch } from "../live.js";
import { fapiaoCard } from "./fapiao.js";

const METHODS = ["wechat", "alipay", "cash", "card", "stored_value", "package"];

export function render(root, ctx) {
  const detail = h("div", { id: "invoice" });
  const list = h("div", { class: "card", id: "invoices" });
  const paid = h("div", { class: "card", id: "paid-invoices" });
  root.append(h("h1", { text: t("nav_cashier") }),
    h("div", { class: "grid" }, h("div", {}, list, paid, unapplied(ctx), dailyClose(ctx)), detail));
  loadInvoices(list, detail, ctx);
  loadPaid(paid, detail, ctx);
  watch(list, ["finance.invoice_", "finance.payment_", "finance.refund_", "finance.insurance_claim_"], () => {
    loadInvoices(list, detail, ctx);
    loadPaid(paid, detail, ctx);
  });
}

// Paid invoices, newest first: where the cashier opens one again to ask for its fapiao.
async function loadPaid(box, detail, ctx) {
  const current = newest(box);
  const heading = h("h2", { text: t("paid_invoices") });
  try {
    const page = await api.get("/v1/invoices", { store_id: ctx.store.id, status: "paid", limit: 20 });
    if (!current()) return;
    fill(box, heading, page.items.length ? h("ul", { class: "list" }, page.items.map((inv) => h("li", { "data-invoice": inv.id,
      onclick: () => showInvoice(detail, inv.id, ctx, () => loadPaid(box, detail, ctx)) },
      h("b", { text: inv.number }), ` · ${inv.order_number ?? ""} · ${yuan(inv.total_fen)}`)))
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    if (!current()) return;
    fill(box, heading, h("div", { class: "form-error" }));
    showError(box, error);
  }
}

async function loadInvoices(list, detail, ctx) {
  const current = newest(list);
  const heading = [h("h2", { text: t("open_invoices") }),
    exportButtons(api, "/v1/invoices", () => ({ store_id: ctx.store.id }), t("export_name_invoices"))];
  try {
    const pages = await Promise.all(["issued", "partially_paid"].map((status) => api.get("/v1/invoices", { store_id: ctx.store.id, status, limit: 100 })));
    if (!current()) return;
    const invoices = pages.flatMap((p) => p.items);
    fill(list, heading, invoices.length ? h("ul", { class: "list" }, invoices.map((inv) => h("li", { "data-invoice": inv.id,
      onclick: () => showInvoice(detail, inv.id, ctx, () => loadInvoices(list, detail, ctx)) },
      h("b", { text: inv.number }), ` · ${inv.order_number ?? ""} · ${t("due")} ${yuan(inv.due_fen)}`)))
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    if (!current()) return;
    fill(list, heading, h("div", { class: "form-error" }));
    showError(list, error);
  }
}

async function showInvoice(detail, invoiceId, ctx, reloadList) {
  fill(detail, h("p", { class: "hint", text: t("loading") }));
  let invoice;
  try {
    invoice = await api.get(`/v1/invoices/${invoiceId}`);
  } catch (error) {
    fill(detail, h("div", { class: "form-error" }));
    return showError(detail, error);
  }
  const again = () => { reloadList(); showInvoice(detail, invoiceId, ctx, reloadList); };
  const cards = await api.get("/v1/member-cards", { customer_id: invoice.customer_id }).then((p) => p.items).catch(() => []);
  const view = h("div", { class: "invoice-view" });
  fill(detail, view);
  fill(view, h("div", { class: "card" },
    h("div", { class: "row" }, h("h2", { text: `${t("invoice")} ${invoice.number}` }), badge(t(`invoice_${invoice.status}`), "ok"),
      h("span", { class: "spacer" }), printButton(api, `/v1/invoices/${invoice.id}/pdf`)),
    table([["kind"], ["description"], ["qty", "num"], ["total", "num"]], invoice.lines.map((line) => h("tr", {},
      h("td", { text: t(`kind_${line.kind}`) }), h("td", { text: line.description || line.sku }),
      h("td", { class: "num", text: line.kind === "labour" ? hours(line.hours) : qty(line.qty) }),
      h("td", { class: "num", text: yuan(line.total_fen) })))),
    h("div", { class: "totals", id: "invoice-totals" },
      ...[["discount", -invoice.discount_fen], ["tax", invoice.tax_fen], ["total", invoice.total_fen], ["deposit_yuan", -invoice.deposit_fen],
        ["paid", invoice.paid_fen - invoice.deposit_fen], ["refunded", invoice.refunded_fen]]
        .flatMap(([key, fen]) => [h("span", { text: t(key) }), h("span", { class: "num", text: yuan(fen) })]),
      h("span", { class: "grand", text: t("amount_due") }), h("span", { class: "grand num", "data-due": invoice.due_fen, text: yuan(invoice.due_fen) }))),
  invoice.due_fen > 0 ? paymentForm(invoice, cards, again) : null,
  invoice.due_fen > 0 ? chargeCard(invoice, again) : null,
  invoice.due_fen > 0 ? insuranceCard(invoice, again) : null,
  invoice.status === "paid" ? fapiaoCard(invoice, ctx) : null,
  paymentsCard(invoice, ctx, again),
  refundRequests(invoice, ctx, again),
  cardsCard(cards, ctx));
  // a claim on an insurer put, voided or remitted elsewhere (the claims screen): what is due here changes; the
  // whole invoice is watched, so it never reloads under a payment or a claim being typed
  watch(view, ["finance.insurance_claim_changed"], again);
}

function paymentRow(due, cards) {
  const cardChoice = select("card_id", [["", "—"], ...cards.map((c) => [c.id, `${c.number} · ${c.kind === "package" ? c.package_name : yuan(c.balance_fen)}`])]);
  const method = select("method", METHODS.map((m) => [m, t(`method_${m}`)]));
  const cardFields = [field("member_card", cardChoice), field("service_code", input("service_code"))];
  const showCardFields = () => cardFields.forEach((el, i) => {
    el.hidden = !(method.value === "package" || (i === 0 && method.value === "stored_value"));
  });
  method.addEventListener("change", showCardFields);
  showCardFields();
  return h("div", { class: "row pay-part" },
    field("payment_method", method),
    h("label", { class: "field", "data-field": "amount_fen" }, h("span", { text: t("amount_yuan") }),
      input("amount_yuan", { inputmode: "decimal", value: due > 0 ? fenToInput(due) : "" }), h("small", { class: "field-error" })),
    field("reference", input("reference")), ...cardFields,
    h("div", { class: "form-error" }));
}

function paymentForm(invoice, cards, again) {
  const rows = h("div", { id: "pay-parts" }, paymentRow(invoice.due_fen, cards));
  const add = h("button", { type: "button", class: "secondary", text: t("add_method"), onclick: () => rows.append(paymentRow(0, cards)) });
  const submit = h("button", { type: "submit", class: "primary", text: t("take_payment") });
  const pay = form({ class: "card", id: "payment-form", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    let failed = false;
    for (const row of rows.querySelectorAll(".pay-part:not(.paid)")) {
      const amount = toFen(row.querySelector("[name=amount_yuan]").value);
      const body = { method: row.querySelector("[name=method]").value, amount_fen: amount };
      for (const name of ["reference", "card_id", "service_code"]) {
        const value = row.querySelector(`[name=${name}]`).value.trim();
        if (value) body[name] = value;
      }
      if (Number.isNaN(amount)) {
        showError(row, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
        failed = true;
        break;
      }
      const result = await busy(submit, row, () => api.post(`/v1/invoices/${invoice.id}/payments`, body));
      if (!result) { failed = true; break; }
      row.classList.add("paid");
      row.querySelectorAll("input, select").forEach((el) => { el.disabled = true; });
      row.append(badge(`✓ ${t("taken")}`, "ok"));
    }
    submit.disabled = false;
    if (!failed) again();
  } }, h("h2", { text: t("take_payment") }), h("p", { class: "hint", text: t("split_payment_hint") }), rows,
  h("div", { class: "row" }, add, submit, ...QR_PROVIDERS.map((provider) => qrButton(provider, invoice, rows, again))));
  return pay;
}

const POLL_MS = 2000;

const QR_PROVIDERS = ["wechat", "alipay"];

// 微信扫码 / 支付宝扫码: an order at the provider for the amount of the first part not taken yet, shown as
// a QR code the customer scans; the intent is polled until the provider's notification has recorded it.
function qrButton(provider, invoice, rows, again) {
  const button = h("button", { type: "button", class: "secondary", id: `${provider}-qr-button`, text: t(`${provider}_qr`) });
  button.addEventListener("click", async () => {
    const row = rows.querySelector(".pay-part:not(.paid)");
    const amount = toFen(row?.querySelector("[name=amount_yuan]").value ?? "");
    if (!row || Number.isNaN(amount)) {
      return showError(row ?? rows, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
    }
    const intent = await busy(button, row, () => api.post(`/v1/invoices/${invoice.id}/payment-intents`,
      { provider, channel: "qr", amount_fen: amount }));
    if (!intent) return;
    const status = badge(t(`intent_${intent.status}`), "warn");
    const shown = h("figure", { class: "card pay-qr", id: `${provider}-qr`, "data-intent": intent.id, "data-code-url": intent.code_url },
      h("img", { src: intent.qr_svg, alt: t(`${provider}_qr`), width: 220, height: 220 }),
      h("figcaption", {}, `${t(`scan_to_pay_${provider}`)} · ${yuan(intent.amount_fen)} `, status));
    rows.parentElement.querySelectorAll(".pay-qr").forEach((el) => el.remove());
    rows.after(shown);
    const poll = async () => {
      if (!shown.isConnected) return;
      const now = await api.get(`/v1/payment-intents/${intent.id}`).catch(() => null);
      if (now && now.status !== "pending") {
        status.textContent = t(`intent_${now.status}`);
        if (now.status === "paid") return again();
        return;
      }
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  });
  return button;
}

// Money a provider took for an invoice that no longer owed it (paid meanwhile by other means): listed so
// that the cashier sees it and refunds it whole through the provider (原路退款, after a confirmation); a
// refund asked waits for the provider's confirmation, then the row leaves the list (followed live:
// finance.payment_intent_refunded, and read again while one is waiting).
function unapplied(ctx) {
  const box = h("div", { class: "card", id: "unapplied-intents" });
  const load = async () => {
    const current = newest(box);
    const heading = h("h2", { text: t("unapplied_intents") });
    try {
      const page = await api.get("/v1/payment-intents", { store_id: ctx.store.id, status: "unapplied", limit: 50 });
      if (!current()) return;
      fill(box, heading, page.items.length ? table([["invoice"], ["payment_method"], ["amount_yuan", "num"], ["provider_transaction"], ["received_at"], [""]],
        page.items.map((i) => h("tr", { "data-intent": i.id },
          h("td", { text: i.invoice_number }), h("td", { text: t(`method_${i.provider}`) }),
          h("td", { class: "num", text: yuan(i.amount_fen) }), h("td", { text: i.transaction_id }),
          h("td", { text: dateTime(i.settled_at, ctx.tz) }),
          h("td", {}, i.refund_id ? badge(phrase("refund_pending", { provider: i.provider }), "warn") : unappliedRefund(i, load)))))
        : h("p", { class: "hint", text: t("none") }));
      if (page.items.some((i) => i.refund_id)) setTimeout(() => { if (box.isConnected) load(); }, POLL_MS);
    } catch (error) {
      if (!current()) return;
      fill(box, heading, h("div", { class: "form-error" }));
      showError(box, error);
    }
  };
  load();
  watch(box, ["finance.payment_intent_refunded"], load);
  return box;
}

function unappliedRefund(intent, again) {
  const open = h("button", { type: "button", class: "link", text: t("refund_original_way") });
  open.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "danger", text: t("refund_confirm") });
    const no = h("button", { type: "button", text: t("cancel") });
    const ask = h("div", { class: "unapplied-refund" },
      h("p", { text: phrase("refund_original_way_confirm", { amount_fen: intent.amount_fen, provider: intent.provider }) }),
      yes, " ", no, h("div", { class: "form-error" }));
    no.addEventListener("click", () => ask.replaceWith(open));
    yes.addEventListener("click", async () => {
      if (yes.disabled) return;
      const done = await busy(yes, ask, () => api.post(`/v1/payment-intents/${intent.id}/refund`, {}));
      if (done) again();
    });
    open.replaceWith(ask);
  });
  return open;
}

function paymentsCard(invoice, ctx, again) {
  const payments = invoice.payments || [];
  return h("div", { class: "card", id: "payments" }, h("h2", { text: t("payments") }),
    payments.length ? table([["payment_method"], ["amount_yuan", "num"], ["refunded", "num"], ["received_at"], [""]], payments.map((p) =>
      h("tr", { "data-payment": p.id },
        h("td", { text: [t(`method_${p.method}`), p.kind === "deposit" ? t("deposit") : ""].filter(Boolean).join(" · ") }),
        h("td", { class: "num", text: yuan(p.amount_fen) }), h("td", { class: "num", text: yuan(p.refunded_fen) }),
        h("td", { text: dateTime(p.received_at, ctx.tz) }),
        h("td", {}, p.amount_fen > p.refunded_fen ? refundButton(p, again) : ""))))
      : h("p", { class: "hint", text: t("none") }));
}

// A refund asked of the payment provider is recorded when it confirms: the payment is read again until
// its refunded amount moves, then the invoice is shown again.
function waitForRefund(payment, again, tries = 30) {
  setTimeout(async () => {
    const now = await api.get(`/v1/payments/${payment.id}`).catch(() => null);
    if (now && now.refunded_fen !== payment.refunded_fen) return again();
    if (tries > 1) waitForRefund(payment, again, tries - 1);
  }, POLL_MS);
}

function refundButton(payment, again) {
  const open = h("button", { type: "button", class: "link", text: t("refund") });
  open.addEventListener("click", () => {
    const submit = h("button", { type: "submit", class: "danger", text: t("refund") });
    const refund = form({ class: "refund-form", onsubmit: async (event) => {
      event.preventDefault();
      const v = values(refund);
      const amount = toFen(v.amount_yuan);
      if (Number.isNaN(amount)) return showError(refund, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
      const body = { amount_fen: amount, reason: v.reason };
      const done = await busy(submit, refund, () => api.post(`/v1/payments/${payment.id}/refunds`, body).catch((error) => {
        if (error.code === "refund_needs_manager") return { needs_manager: error.params?.limit_fen ?? 0 };
        throw error;
      }));
      if (!done) return;
      if ("needs_manager" in done) return refund.replaceWith(askManager(payment, body, done.needs_manager, again));
      if (done.status !== "pending") return again();
      refund.replaceWith(badge(phrase("refund_pending", { provider: payment.method }), "warn"));
      waitForRefund(payment, again);
    } },
    h("label", { class: "field", "data-field": "amount_fen" }, h("span", { text: t("amount_yuan") }),
      input("amount_yuan", { inputmode: "decimal", value: fenToInput(payment.amount_fen - payment.refunded_fen) }), h("small", { class: "field-error" })),
    field("reason", input("reason", { required: true })), submit);
    open.replaceWith(refund);
  });
  return open;
}

// Above the store's limit the till may not refund: the cashier asks the manager (the same amount and
// reason); the request waits in the manager's 审批 and its outcome shows on the invoice (refundRequests).
function askManager(payment, body, limitFen, again) {
  const submit = h("button", { type: "button", class: "primary", text: t("refund_ask_manager") });
  const box = h("div", { class: "refund-ask" }, h("p", { class: "hint", text: phrase("refund_ask_manager_hint", { limit_fen: limitFen }) }),
    h("p", { text: `${t("refund_amount")} ${yuan(body.amount_fen)} · ${body.reason}` }), submit, h("div", { class: "form-error" }));
  submit.addEventListener("click", async () => {
    if (submit.disabled) return;
    const asked = await busy(submit, box, () => api.post(`/v1/payments/${payment.id}/refund-requests`, body));
    if (asked) { flash(t("refund_asked")); again(); }
  });
  return box;
}

const REQUEST_TONE = { pending: "warn", approved: "warn", refunded: "ok", declined: "bad", failed: "bad" };

// The invoice's refund requests and their outcome; followed live (finance.refund_request_changed: the
// whole invoice is shown again, its payments refunded).
function refundRequests(invoice, ctx, again) {
  const box = h("div", { class: "card", id: "refund-requests" });
  const load = async () => {
    const current = newest(box);
    try {
      const page = await api.get("/v1/refund-requests", { store_id: invoice.store_id, invoice_id: invoice.id, limit: 50 });
      if (!current()) return;
      box.hidden = !page.items.length;
      fill(box, h("h2", { text: t("refund_requests") }), h("ul", { class: "list" }, page.items.map((r) => h("li", { "data-refund-request": r.id, "data-status": r.status },
        h("b", { text: yuan(r.amount_fen) }), ` · ${t(`method_${r.method}`)} · ${r.reason} · ${dateTime(r.created_at, ctx.tz)} `,
        badge(t(`refund_request_${r.status}`), REQUEST_TONE[r.status]),
        r.decline_reason ? ` ${t("decline_reason")}: ${r.decline_reason}` : ""))));
    } catch (error) {
      if (!current()) return;
      fill(box, h("div", { class: "form-error" }));
      showError(box, error);
    }
  };
  box.hidden = true;
  load();
  watch(box, ["finance.refund_request_changed"], again); // an approval refunds: the payments change too
  return box;
}

function cardsCard(cards, ctx) {
  return h("div", { class: "card", id: "member-cards" }, h("h2", { text: t("member_cards") }),
    cards.length ? h("ul", { class: "list" }, cards.map((c) => h("li", {},
      h("b", { text: c.number }), ` · ${t(`card_${c.kind}`)} · ${t(`card_status_${c.status}`)} · `,
      c.kind === "stored_value" ? `${t("balance")} ${yuan(c.balance_fen)}`
        : (c.items || []).map((i) => `${i.name} ${i.units_left}/${i.units_total}`).join("、"),
      c.expires_on ? ` · ${t("expires")} ${c.expires_on}` : "")))
      : h("p", { class: "hint", text: t("none") }));
}

function dailyClose(ctx) {
  const box = h("div", { class: "card", id: "daily-close" }, h("h2", { text: t("daily_close") }));
  const day = localDay(ctx.tz);
  api.get("/v1/reports/daily-close", { store_id: ctx.store.id, date: day }).then((close) => {
    const statements = close.provider_statements ?? {};
    const open = Object.values(statements).reduce((sum, s) => sum + s.open_differences, 0);
    box.append(h("p", { class: "hint", text: `${close.date} · ${close.time_zone}${close.closed ? ` · ${t("closed")}` : ""}` }),
      table([["payment_method"], ["takings", "num"], ["refunded", "num"], ["rc_statement", "num"]],
        Object.keys({ ...close.takings, ...close.refunds, ...statements }).map((m) =>
          h("tr", { "data-method": m }, h("td", { text: t(`method_${m}`) }), h("td", { class: "num", text: yuan(close.takings[m] ?? 0) }),
            h("td", { class: "num", text: yuan(close.refunds[m] ?? 0) }),
            h("td", { class: "num statement", text: statementCell(m, statements[m]) })))),
      open ? h("p", { class: "form-error", id: "close-differences", text: phrase("rc_close_open", { count: open }) }) : "",
      h("div", { class: "totals" },
        h("span", { text: t("takings_total") }), h("span", { class: "num", text: yuan(close.takings_total_fen) }),
        h("span", { text: t("open_receivables") }), h("span", { class: "num", text: yuan(close.open_receivables_fen) }),
        h("span", { text: t("cash_expected") }), h("span", { class: "num", text: yuan(close.cash_expected_fen) })),
      ...(!close.closed && ctx.user.manages ? [closeForm(ctx, day)] : []));
  }).catch((error) => { box.append(h("div", { class: "form-error" })); showError(box, error); });
  return box;
}

/** A provider's statement of the day beside what was recorded: collected (less refunded, when any). */
function statementCell(method, statement) {
  if (!["wechat", "alipay"].includes(method)) return "";
  if (!statement || statement.status !== "done") return t("rc_not_yet");
  return statement.refunded_fen ? `${yuan(statement.collected_fen)} / -${yuan(statement.refunded_fen)}` : yuan(statement.collected_fen);
}

function closeForm(ctx, day) {
  const submit = h("button", { type: "submit", class: "primary", text: t("close_day") });
  const close = form({ id: "close-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(close);
    const counted = toFen(v.cash_counted_yuan);
    if (Number.isNaN(counted)) return showError(close, { message: t("fix_fields"), fields: { cash_counted_fen: [t("amount_invalid")] } });
    const closed = await busy(submit, close, () => api.post("/v1/reports/daily-close", { store_id: ctx.store.id, date: day, cash_counted_fen: counted, note: v.note }));
    if (closed) close.replaceWith(h("p", { class: "ok-text", text: `${t("closed")} · ${t("difference")} ${yuan(closed.difference_fen)}` }));
  } },
  h("label", { class: "field", "data-field": "cash_counted_fen" }, h("span", { text: t("cash_counted") }),
    input("cash_counted_yuan", { inputmode: "decimal" }), h("small", { class: "field-error" })),
  field("note", input("note")), submit);
  return close;
}

// 挂账: the invoice's due (or part of it) charged to a company account its customer or car belongs to;
// above the credit limit the API refuses it unless a manager gives a reason.
function chargeCard(invoice, again) {
  return loading("account-charge", async () => {
    const page = await api.get("/v1/company-accounts", { invoice_id: invoice.id, limit: 50 });
    if (!page.items.length) return [h("h2", { text: t("charge_to_account") }), h("p", { class: "hint", text: t("no_accounts_for_invoice") })];
    const submit = h("button", { type: "submit", class: "primary", text: t("charge_to_account") });
    const charge = form({ id: "account-charge-form", onsubmit: async (event) => {
      event.preventDefault();
      const amount = toFen(charge.amount.value);
      if (Number.isNaN(amount)) return showError(charge, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
      const made = await busy(submit, charge, () => api.post(`/v1/invoices/${invoice.id}/account-charges`, {
        account_id: charge.account_id.value, amount_fen: amount, over_limit_reason: charge.over_limit_reason.value.trim() || null }));
      if (made) { flash(`${invoice.number} · ${t("charged_to_account")} ${yuan(made.charge.amount_fen)}`); again(); }
    } },
    h("h2", { text: t("charge_to_account") }), h("p", { class: "hint", text: t("charge_account_hint") }),
    h("div", { class: "row" },
      field("company_account", select("account_id", page.items.map((a) => [a.id, `${a.name} · ${t("credit_available")} ${yuan(a.available_fen)}`]))),
      h("label", { class: "field", "data-field": "amount_fen" }, h("span", { text: t("amount_yuan") }),
        input("amount", { inputmode: "decimal", value: fenToInput(invoice.due_fen) }), h("small", { class: "field-error" })),
      field("over_limit_reason", input("over_limit_reason", { maxlength: 200 }))),
    submit);
    return [charge];
  });
}

// 保险理赔 (事故车): the insurer's share of the invoice put on the insurer under the claim's number (报案号), with
// the assessed amount (定损金额) when known; the customer pays the rest (免赔额) with the payment form above.
// The invoice's claims so far are listed under it.
function insuranceCard(invoice, again) {
  return loading("insurance-claim", async () => {
    const [insurers, claims] = await Promise.all([api.get("/v1/insurers", { store_id: invoice.store_id, limit: 100 }),
      api.get("/v1/insurance-claims", { invoice_id: invoice.id, store_id: invoice.store_id, limit: 20 })]);
    const mine = claims.items.length ? [h("h3", { text: t("claims_of_invoice") }), h("ul", { class: "list", id: "invoice-claims" },
      claims.items.map((c) => h("li", { "data-claim": c.claim_number },
        h("b", { text: c.claim_number }), ` · ${c.insurer_name} · ${t("claim_amount")} ${yuan(c.amount_fen)} · ${t(`claim_status_${c.status}`)}`)))] : [];
    const active = insurers.items.filter((i) => i.status === "active");
    if (!active.length) return [h("h2", { text: t("insurance_claim") }), h("p", { class: "hint", text: t("no_insurers_for_store") }), ...mine];
    const submit = h("button", { type: "submit", class: "primary", text: t("put_on_insurer") });
    const claim = form({ id: "insurance-claim-form", onsubmit: async (event) => {
      event.preventDefault();
      const amount = toFen(claim.amount.value);
      const assessed = claim.assessed.value.trim() ? toFen(claim.assessed.value) : null;
      if (Number.isNaN(amount)) return showError(claim, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
      if (Number.isNaN(assessed)) return showError(claim, { message: t("fix_fields"), fields: { assessed_fen: [t("amount_invalid")] } });
      const made = await busy(submit, claim, () => api.post(`/v1/invoices/${invoice.id}/insurance-claims`, {
        insurer_id: claim.insurer_id.value, claim_number: claim.claim_number.value.trim(), amount_fen: amount, assessed_fen: assessed }));
      if (made) { flash(`${invoice.number} · ${made.claim.insurer_name} · ${t("put_on_insurer_done")} ${yuan(made.claim.amount_fen)}`); again(); }
    } },
    h("h2", { text: t("insurance_claim") }), h("p", { class: "hint", text: t("insurance_claim_hint") }),
    h("div", { class: "row" },
      field("insurer", select("insurer_id", active.map((i) => [i.id, i.name]))),
      field("claim_number", input("claim_number", { required: true, maxlength: 40 }), t("claim_number_hint"))),
    h("div", { class: "row" },
      h("label", { class: "field", "data-field": "amount_fen" }, h("span", { text: t("insurer_share") }),
        input("amount", { inputmode: "decimal", value: fenToInput(invoice.due_fen) }), h("small", { class: "field-error" })),
      h("label", { class: "field", "data-field": "assessed_fen" }, h("span", { text: t("assessed_amount") }),
        input("assessed", { inputmode: "decimal" }), h("small", { class: "field-error" }))),
    submit);
    return [claim, ...mine];
  });
}
