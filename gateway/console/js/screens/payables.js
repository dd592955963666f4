// Accounts payable for the manager: a supplier's invoice entered against a received purchase order
// with its three-way match, held ones approved or rejected, supplier payments over open invoices and
// the payments made, the supplier's credit notes (红字发票) for goods sent back after invoicing,
// the payables ageing with supplier statements, the receivables ageing, and the books'
// reconciliation with the balance sheet.
import { api } from "../api.js";
import { date, fenToInput, localDay, qty, toFen, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, dateInput, exportButtons, field, fill, flash, form, h, input, loading, select, showError, tabbed, table } from "../ui.js";

export function render(root, ctx) {
  root.append(h("h1", { text: t("nav_payables") }), tabbed({
    supplier_invoices: () => invoicesTab(ctx),
    supplier_payments: () => {
      const made = h("div", {});
      const drawMade = () => fill(made, pastPayments(ctx));
      drawMade();
      return h("div", {}, paymentsTab(ctx, drawMade), made);
    },
    supplier_credit_notes: () => creditNotesTab(ctx),
    payables_ageing: () => ageingTab(ctx),
    reconciliation: () => h("div", {}, reconciliationTab(ctx), monthCloseCard(ctx)),
  }));
}

/** 月结: the store's last twelve months; a month that is over is closed here once (no posting is dated in it
 * afterwards; a late one lands on the first open day). */
function monthCloseCard(ctx) {
  const card = h("div", { class: "card", id: "month-close" });
  const draw = () => api.get("/v1/ledger/month-closes", { store_id: ctx.store.id }).then((answer) => fill(card,
    h("h2", { text: t("month_close") }), h("p", { class: "hint", text: t("month_close_hint") }),
    table([["month"], ["month_state"], [""]], answer.items.map((month) => h("tr", { "data-month": month.month },
      h("td", { text: month.month }),
      h("td", {}, month.closed ? badge(`${t("month_closed")} · ${date(month.closed_at, ctx.tz)}`, "ok")
        : badge(t(month.over ? "month_open" : "month_running"))),
      h("td", {}, month.over && !month.closed ? closeButton(month.month) : null)))),
    h("div", { class: "form-error" }))).catch((error) => { fill(card, h("div", { class: "form-error" })); showError(card, error); });
  const closeButton = (month) => {
    const button = h("button", { type: "button", class: "secondary", "data-close": month, text: t("close_month") });
    button.addEventListener("click", async () => {
      if (await busy(button, card, () => api.post("/v1/ledger/month-closes", { store_id: ctx.store.id, month }))) {
        flash(`${month} ${t("month_closed")}`);
        draw();
      }
    });
    return button;
  };
  draw();
  return card;
}

const status = (invoice) => badge(t(`si_${invoice.status}`), invoice.status === "held" ? "bad" : invoice.status === "paid" ? "ok" : "");
const issueWords = (issue) => phrase(`match_${issue.kind}`, issue) ?? issue.kind;

function invoicesTab(ctx) {
  const entry = loading("supplier-invoice-entry", async () => {
    const pages = await Promise.all(["partially_received", "received"].map((state) =>
      api.get("/v1/purchase-orders", { store_id: ctx.store.id, status: state, limit: 50 })));
    const orders = pages.flatMap((page) => page.items);
    if (!orders.length) return [h("p", { class: "hint", text: t("no_received_orders") })];
    const lines = h("div", {});
    const picker = select("purchase_order_id", orders.map((po) => [po.id, `${po.number} · ${po.supplier_name}`]));
    const showLines = () => {
      const po = orders.find((o) => o.id === picker.value);
      fill(lines, table([["sku"], ["received", "num"], ["qty"], ["unit_price"]], po.lines.map((line, i) => h("tr", { "data-sku": line.sku },
        h("td", { text: line.sku }), h("td", { class: "num", text: qty(line.qty_received - (line.qty_returned ?? 0)) }),
        h("td", {}, h("label", { class: "field", "data-field": `lines.${i}.qty` }, input(`lines.${i}.qty`, { type: "number", min: 0, step: "any", value: qty(line.qty_received - (line.qty_returned ?? 0)), style: "width:6rem" }), h("small", { class: "field-error" }))),
        h("td", {}, h("label", { class: "field", "data-field": `lines.${i}.unit_price_fen` }, input(`lines.${i}.unit_price`, { inputmode: "decimal", value: fenToInput(line.unit_cost_fen), style: "width:7rem" }), h("small", { class: "field-error" })))))));
    };
    picker.addEventListener("change", showLines);
    showLines();
    const submit = h("button", { type: "submit", class: "primary", text: t("record_supplier_invoice") });
    const result = h("div", { id: "match-result" });
    const entryForm = form({ id: "supplier-invoice-form", onsubmit: async (event) => {
      event.preventDefault();
      const po = orders.find((o) => o.id === picker.value);
      const body = { purchase_order_id: po.id, number: entryForm.number.value.trim(), issued_on: entryForm.issued_on.value,
        vat_fen: toFen(entryForm.vat.value || "0"),
        lines: po.lines.map((line, i) => ({ sku: line.sku, qty: Number(entryForm.querySelector(`[name="lines.${i}.qty"]`).value || 0),
          unit_price_fen: toFen(entryForm.querySelector(`[name="lines.${i}.unit_price"]`).value) })).filter((line) => line.qty > 0) };
      const made = await busy(submit, entryForm, () => api.post("/v1/supplier-invoices", body));
      if (made) {
        fill(result, h("p", { class: made.status === "held" ? "form-error" : "ok-text", "data-status": made.status,
          text: `${made.number} · ${made.supplier_name} · ${yuan(made.total_fen)} · ${t(`si_${made.status}`)}` }),
        made.issues.length ? h("ul", {}, made.issues.map((issue) => h("li", { text: `${issue.sku}：${issueWords(issue)}` }))) : null);
        refresh();
      }
    } },
    h("h2", { text: t("record_supplier_invoice") }),
    h("div", { class: "row" }, field("purchase_order", picker), field("supplier_invoice_number", input("number", { required: true, maxlength: 60 })),
      field("issued_on", dateInput("issued_on", { required: true, value: localDay(ctx.tz) })),
      field("input_vat", input("vat", { inputmode: "decimal", value: "0.00" }))),
    lines, submit);
    return [entryForm, result];
  });
  const list = h("div", {});
  const refresh = () => fill(list, loading("supplier-invoices", async () => {
    const page = await api.get("/v1/supplier-invoices", { store_id: ctx.store.id, limit: 50 });
    return [h("h2", { text: t("supplier_invoices") }), page.items.length ? table(
      [["supplier_invoice_number"], ["supplier"], ["purchase_order"], ["issued_on"], ["total", "num"], ["payable_due", "num"], ["state"], [""]],
      page.items.map((invoice) => h("tr", { "data-invoice": invoice.number },
        h("td", { text: invoice.number }), h("td", { text: invoice.supplier_name }), h("td", { text: invoice.purchase_order_number }),
        h("td", { text: date(invoice.issued_on, ctx.tz) }), h("td", { class: "num", text: yuan(invoice.total_fen) }),
        h("td", { class: "num", text: yuan(invoice.due_fen) }),
        h("td", {}, status(invoice), invoice.issues.map((issue) => h("div", { class: "hint", text: `${issue.sku}：${issueWords(issue)}` }))),
        h("td", {}, invoice.status === "held" ? decideForm(invoice, refresh) : null)))) : h("p", { class: "hint", text: t("none") })];
  }));
  refresh();
  return h("div", {}, entry, list);
}

function decideForm(invoice, done) {
  const decide = form({ class: "decide-form" }, input("reason", { placeholder: t("reason"), maxlength: 200 }),
    ...[true, false].map((approve) => h("button", { type: "button", class: approve ? "primary" : "danger", text: t(approve ? "approve" : "reject"),
      onclick: async (event) => {
        const made = await busy(event.target, decide, () => api.post(`/v1/supplier-invoices/${invoice.id}/decision`,
          { approve, reason: decide.reason.value.trim() }));
        if (made) { flash(`${made.number} · ${t(`si_${made.status}`)}`); done(); }
      } })));
  return decide;
}

/** Pay one supplier's open invoices at the store; the supplier's credit notes with a rest left (红字发票留作抵扣)
 * are offered beside them: what is applied comes off what the bank or till pays (the net shown as typed). */
function paymentsTab(ctx, paidNow) {
  return loading("supplier-payment", async () => {
    const pages = await Promise.all(["open", "partially_paid"].map((state) =>
      api.get("/v1/supplier-invoices", { store_id: ctx.store.id, status: state, limit: 100 })));
    const open = pages.flatMap((page) => page.items);
    if (!open.length) return [h("p", { class: "hint", text: t("nothing_to_pay") })];
    const suppliers = [...new Map(open.map((i) => [i.supplier_id, i.supplier_name])).entries()];
    const rows = h("div", {});
    const credits = h("div", { id: "supplier-credits" });
    const net = h("p", { id: "payment-net" });
    let offered = [];
    const picker = select("supplier_id", suppliers);
    const amounts = (prefix, items, key) => items.map((item) => ({ [key]: item.id,
      amount_fen: toFen(payForm.querySelector(`[name="${prefix}.${item.id}"]`)?.value || "0") })).filter((item) => item.amount_fen !== 0);
    const invoicesOf = () => open.filter((i) => i.supplier_id === picker.value);
    const showNet = () => {
      const settled = amounts("pay", invoicesOf(), "supplier_invoice_id").reduce((sum, item) => sum + item.amount_fen, 0);
      const credited = amounts("credit", offered, "supplier_credit_note_id").reduce((sum, item) => sum + item.amount_fen, 0);
      net.dataset.net = settled - credited;
      net.textContent = credited ? `${t("payment_settled")} ${yuan(settled)} − ${t("credits_applied")} ${yuan(credited)} = ${t("payment_net")} ${yuan(settled - credited)}`
        : `${t("payment_net")} ${yuan(settled)}`;
    };
    const showRows = async () => {
      const supplierId = picker.value;
      fill(rows, table([["supplier_invoice_number"], ["due"], ["payable_due", "num"], ["pay_amount"]],
        invoicesOf().map((invoice) => h("tr", { "data-invoice": invoice.number },
          h("td", { text: invoice.number }), h("td", { text: date(invoice.due_on, ctx.tz) }), h("td", { class: "num", text: yuan(invoice.due_fen) }),
          h("td", {}, h("label", { class: "field", "data-field": "allocations" }, input(`pay.${invoice.id}`, { inputmode: "decimal", value: fenToInput(invoice.due_fen), style: "width:8rem" }), h("small", { class: "field-error" })))))));
      offered = [];
      fill(credits);
      showNet();
      const page = await api.get("/v1/supplier-credit-notes", { store_id: ctx.store.id, supplier_id: supplierId, open: true, limit: 50 });
      if (picker.value !== supplierId || !page.items.length) return;
      offered = page.items;
      fill(credits, h("h3", { text: t("credits_to_apply") }), h("p", { class: "hint", text: t("credits_to_apply_hint") }),
        table([["credit_note_number"], ["issued_on"], ["credit_unapplied", "num"], ["credit_apply_amount"]], offered.map((note) =>
          h("tr", { "data-credit-note": note.number }, h("td", { text: note.number }), h("td", { text: date(note.issued_on, ctx.tz) }),
            h("td", { class: "num", text: yuan(note.unapplied_fen) }),
            h("td", {}, h("label", { class: "field", "data-field": "credits" }, input(`credit.${note.id}`, { inputmode: "decimal", value: "0.00", style: "width:8rem" }), h("small", { class: "field-error" })))))));
      showNet();
    };
    picker.addEventListener("change", showRows);
    const submit = h("button", { type: "submit", class: "primary", text: t("pay_supplier") });
    const payForm = form({ id: "supplier-payment-form", onsubmit: async (event) => {
      event.preventDefault();
      const allocations = amounts("pay", invoicesOf(), "supplier_invoice_id");
      const applied = amounts("credit", offered, "supplier_credit_note_id");
      const paid = await busy(submit, payForm, () => api.post("/v1/supplier-payments", { method: payForm.method.value,
        reference: payForm.reference.value.trim() || null, allocations, credits: applied }));
      if (paid) payForm.replaceWith(h("p", { class: "ok-text", "data-paid": paid.amount_fen, text: `${paid.supplier_name} · ${t("paid")} ${yuan(paid.amount_fen)}`
        + (paid.credited_fen ? ` · ${t("credits_applied")} ${yuan(paid.credited_fen)}` : "") }));
      if (paid) paidNow();
    } },
    h("h2", { text: t("pay_supplier") }),
    h("div", { class: "row" }, field("supplier", picker), field("pay_from", select("method", PAID_FROM.map((method) => [method, t(`pay_from_${method}`)]))),
      field("reference", input("reference", { maxlength: 100 }))), rows, credits, net, submit);
    payForm.addEventListener("input", showNet);
    showRows();
    return [payForm];
  });
}

/** The payments made at the store, newest first: when, to whom, how much, which invoices. */
function pastPayments(ctx) {
  return loading("supplier-payments-made", async () => {
    const page = await api.get("/v1/supplier-payments", { store_id: ctx.store.id, limit: 50 });
    return [h("h2", { text: t("supplier_payments_made") }), page.items.length ? table(
      [["statement_date"], ["supplier"], ["pay_from"], ["reference"], ["amount", "num"], ["invoices_paid"], ["credits_applied"]],
      page.items.map((payment) => h("tr", { "data-payment": payment.id },
        h("td", { text: date(payment.business_date, ctx.tz) }), h("td", { text: payment.supplier_name }),
        h("td", { text: t(`pay_from_${payment.method}`) }), h("td", { text: payment.reference ?? "—" }),
        h("td", { class: "num", text: yuan(payment.amount_fen) }),
        h("td", { text: payment.allocations.map((a) => `${a.number} ${yuan(a.amount_fen)}`).join("、") }),
        h("td", { "data-credits": payment.credited_fen, text: payment.credits.length
          ? payment.credits.map((c) => `${c.number} ${yuan(c.amount_fen)}`).join("、") : "—" }))))
      : h("p", { class: "hint", text: t("none") })];
  });
}

/** A supplier's credit note against one of the store's booked invoices, and the notes recorded. */
function creditNotesTab(ctx) {
  const list = h("div", {});
  const refresh = () => fill(list, loading("supplier-credit-notes", async () => {
    const page = await api.get("/v1/supplier-credit-notes", { store_id: ctx.store.id, limit: 50 });
    return [h("h2", { text: t("supplier_credit_notes") }), page.items.length ? table(
      [["credit_note_number"], ["supplier"], ["supplier_invoice_number"], ["issued_on"], ["total", "num"], ["credit_applied", "num"], ["credit_unapplied", "num"]],
      page.items.map((note) => h("tr", { "data-credit-note": note.number },
        h("td", { text: note.number }), h("td", { text: note.supplier_name }), h("td", { text: note.supplier_invoice_number ?? "—" }),
        h("td", { text: date(note.issued_on, ctx.tz) }), h("td", { class: "num", text: yuan(note.total_fen) }),
        h("td", { class: "num", text: yuan(note.applied_fen) }), h("td", { class: "num", text: yuan(note.unapplied_fen) }))))
      : h("p", { class: "hint", text: t("none") })];
  }));
  const entry = loading("supplier-credit-note-entry", async () => {
    const pages = await Promise.all(["open", "partially_paid", "paid"].map((state) =>
      api.get("/v1/supplier-invoices", { store_id: ctx.store.id, status: state, limit: 100 })));
    const booked = pages.flatMap((page) => page.items);
    if (!booked.length) return [h("p", { class: "hint", text: t("no_booked_supplier_invoices") })];
    const picker = select("supplier_invoice_id", booked.map((i) => [i.id, `${i.number} · ${i.supplier_name} · ${t("payable_due")} ${yuan(i.due_fen)}`]));
    const submit = h("button", { type: "submit", class: "primary", text: t("record_credit_note") });
    const money = (name, key, extra = {}) => h("label", { class: "field", "data-field": key }, h("span", { text: t(name) }),
      input(key.replace(/_fen$/, ""), { inputmode: "decimal", ...extra }), h("small", { class: "field-error" }));
    const noteForm = form({ id: "credit-note-form", onsubmit: async (event) => {
      event.preventDefault();
      const invoice = booked.find((i) => i.id === picker.value);
      const returned = noteForm.returned_value.value.trim();
      const body = { store_id: ctx.store.id, supplier_id: invoice.supplier_id, supplier_invoice_id: invoice.id,
        number: noteForm.number.value.trim(), issued_on: noteForm.issued_on.value, total_fen: toFen(noteForm.total.value),
        vat_fen: toFen(noteForm.vat.value || "0"), returned_value_fen: returned ? toFen(returned) : null,
        reason: noteForm.reason.value.trim() || null };
      const made = await busy(submit, noteForm, () => api.post("/v1/supplier-credit-notes", body));
      if (made) {
        flash(`${made.number} · ${made.supplier_name} · ${yuan(made.total_fen)}`);
        for (const name of ["number", "total", "returned_value", "reason"]) noteForm[name].value = "";
        refresh();
      }
    } },
    h("h2", { text: t("record_credit_note") }), h("p", { class: "hint", text: t("credit_note_hint") }),
    h("div", { class: "row" }, field("supplier_invoice_number", picker), field("credit_note_number", input("number", { required: true, maxlength: 60 })),
      field("issued_on", dateInput("issued_on", { required: true, value: localDay(ctx.tz) }))),
    h("div", { class: "row" }, money("credit_total_yuan", "total_fen", { required: true }), money("input_vat", "vat_fen", { value: "0.00" }),
      money("returned_value_yuan", "returned_value_fen"), field("reason", input("reason", { maxlength: 200 }))),
    submit);
    return [noteForm];
  });
  refresh();
  return h("div", {}, entry, list);
}

const PAID_FROM = ["bank", "cash"];
const BUCKETS = ["current_fen", "days_1_30_fen", "days_31_60_fen", "days_61_90_fen", "over_90_fen", "total_fen"];

function ageingTab(ctx) {
  return loading("payables-ageing", async () => {
    const [ageing, owed] = await Promise.all([api.get("/v1/reports/payables-ageing", { store_id: ctx.store.id }),
      api.get("/v1/reports/receivables-ageing", { store_id: ctx.store.id })]);
    const suppliers = ageing.stores.flatMap((store) => store.suppliers);
    const cells = (row) => BUCKETS.map((name) => h("td", { class: "num", text: yuan(row[name]) }));
    const statement = h("div", { id: "supplier-statement" });
    const show = (row) => h("button", { type: "button", class: "link", text: t("supplier_statement"),
      onclick: () => fill(statement, statementOf(row.supplier_id, ctx)) });
    const mine = () => ({ store_id: ctx.store.id });
    return [h("h2", { text: `${t("payables_ageing")} · ${date(ageing.as_of, ctx.tz)}` }),
      exportButtons(api, "/v1/reports/payables-ageing", mine, t("export_name_payables_ageing")),
      table([["supplier"], ...BUCKETS.map((name) => [`ageing_${name}`, "num"]), [""]], [
        ...suppliers.map((row) => h("tr", { "data-supplier": row.supplier_name }, h("td", { text: row.supplier_name }), ...cells(row), h("td", {}, show(row)))),
        h("tr", { class: "total" }, h("td", { text: t("total") }), ...cells(ageing.chain), h("td", {}))]), statement,
      h("h2", { text: `${t("receivables_ageing")} · ${date(owed.as_of, ctx.tz)}` }),
      exportButtons(api, "/v1/reports/receivables-ageing", mine, t("export_name_receivables_ageing")),
      table([["store"], ...BUCKETS.map((name) => [`ageing_${name}`, "num"])], [
        ...owed.stores.map((row) => h("tr", { "data-store": row.store_id }, h("td", { text: ctx.stores.find((s) => s.id === row.store_id)?.name ?? "—" }), ...cells(row))),
        h("tr", { class: "total", "data-receivables": owed.chain.total_fen }, h("td", { text: t("total") }), ...cells(owed.chain))]),
      owed.accounts.length ? [h("h2", { text: t("receivables_by_account") }),
        table([["company_name"], ...BUCKETS.map((name) => [`ageing_${name}`, "num"])],
          owed.accounts.map((row) => h("tr", { "data-account": row.name }, h("td", { text: row.name }), ...cells(row))))] : null,
      owed.insurers?.length ? [h("h2", { text: t("receivables_by_insurer") }),
        table([["insurer"], ...BUCKETS.map((name) => [`claim_ageing_${name}`, "num"])],
          owed.insurers.map((row) => h("tr", { "data-insurer": row.name }, h("td", { text: row.name }), ...cells(row))))] : null];
  });
}

/** The supplier's statement at the store over the last year: opening balance, invoices and payments. */
function statementOf(supplierId, ctx) {
  return loading("statement", async () => {
    const found = await api.get(`/v1/suppliers/${supplierId}/statement`, { store_id: ctx.store.id,
      from: localDay(ctx.tz, -365), to: localDay(ctx.tz) });
    return [h("h2", { text: `${t("supplier_statement")} · ${found.supplier_name ?? ""}` }),
      h("p", { "data-opening": found.opening_balance_fen, text: `${t("opening_balance")} ${yuan(found.opening_balance_fen)}` }),
      table([["statement_date"], ["statement_kind"], ["number"], ["amount", "num"], ["balance", "num"]], found.lines.map((line) => h("tr", { "data-line": line.kind },
        h("td", { text: date(line.date, ctx.tz) }), h("td", { text: t(`statement_${line.kind}`) }), h("td", { text: line.number ?? "—" }),
        h("td", { class: "num", text: yuan(line.amount_fen) }), h("td", { class: "num", text: yuan(line.balance_fen) })))),
      h("p", { "data-closing": found.closing_balance_fen, text: `${t("closing_balance")} ${yuan(found.closing_balance_fen)}` })];
  });
}

function reconciliationTab(ctx) {
  return loading("reconciliation", async () => {
    const [books, sheet] = await Promise.all([api.get("/v1/ledger/reconciliation", { store_id: ctx.store.id }),
      api.get("/v1/ledger/balance-sheet", { store_id: ctx.store.id })]);
    const invariants = books.stores.flatMap((store) => store.invariants);
    return [h("h2", { text: t("reconciliation") }),
      table([["invariant"], ["books_side", "num"], ["other_side", "num"], ["difference", "num"], [""]], invariants.map((item) =>
        h("tr", { "data-invariant": item.code }, h("td", { text: t(`invariant_${item.code}`) }),
          h("td", { class: "num", text: yuan(item.left_fen) }), h("td", { class: "num", text: yuan(item.right_fen) }),
          h("td", { class: "num", text: yuan(item.difference_fen) }),
          h("td", {}, badge(t(item.difference_fen === 0 ? "holds" : "differs"), item.difference_fen === 0 ? "ok" : "bad"))))),
      h("h2", { text: t("balance_sheet") }),
      table([["balance_sheet_side"], ["amount", "num"]], ["assets", "liabilities", "equity"].map((side) =>
        h("tr", { "data-side": side }, h("td", { text: t(`sheet_${side}`) }), h("td", { class: "num", text: yuan(sheet[`total_${side}_fen`]) })))),
      badge(t(sheet.balanced ? "sheet_balanced" : "sheet_unbalanced"), sheet.balanced ? "ok" : "bad")];
  });
}
