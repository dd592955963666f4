// Accounts payable for the manager: a supplier's invoice entered against a received purchase order
// with its three-way match, held ones approved or rejected, supplier payments over open invoices,
// the payables ageing with supplier statements, the receivables ageing, and the books'
// reconciliation with the balance sheet.
import { api } from "../api.js";
import { date, fenToInput, localDay, qty, toFen, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, dateInput, exportButtons, field, fill, flash, form, h, input, loading, select, tabbed, table } from "../ui.js";

export function render(root, ctx) {
  root.append(h("h1", { text: t("nav_payables") }), tabbed({
    supplier_invoices: () => invoicesTab(ctx),
    supplier_payments: () => paymentsTab(ctx),
    payables_ageing: () => ageingTab(ctx),
    reconciliation: () => reconciliationTab(ctx),
  }));
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

function paymentsTab(ctx) {
  return loading("supplier-payment", async () => {
    const pages = await Promise.all(["open", "partially_paid"].map((state) =>
      api.get("/v1/supplier-invoices", { store_id: ctx.store.id, status: state, limit: 100 })));
    const open = pages.flatMap((page) => page.items);
    if (!open.length) return [h("p", { class: "hint", text: t("nothing_to_pay") })];
    const suppliers = [...new Map(open.map((i) => [i.supplier_id, i.supplier_name])).entries()];
    const rows = h("div", {});
    const picker = select("supplier_id", suppliers);
    const showRows = () => fill(rows, table([["supplier_invoice_number"], ["due"], ["payable_due", "num"], ["pay_amount"]],
      open.filter((i) => i.supplier_id === picker.value).map((invoice) => h("tr", { "data-invoice": invoice.number },
        h("td", { text: invoice.number }), h("td", { text: date(invoice.due_on, ctx.tz) }), h("td", { class: "num", text: yuan(invoice.due_fen) }),
        h("td", {}, h("label", { class: "field", "data-field": "allocations" }, input(`pay.${invoice.id}`, { inputmode: "decimal", value: fenToInput(invoice.due_fen), style: "width:8rem" }), h("small", { class: "field-error" })))))));
    picker.addEventListener("change", showRows);
    showRows();
    const submit = h("button", { type: "submit", class: "primary", text: t("pay_supplier") });
    const payForm = form({ id: "supplier-payment-form", onsubmit: async (event) => {
      event.preventDefault();
      const allocations = open.filter((i) => i.supplier_id === picker.value)
        .map((invoice) => ({ supplier_invoice_id: invoice.id, amount_fen: toFen(payForm.querySelector(`[name="pay.${invoice.id}"]`).value || "0") }))
        .filter((item) => item.amount_fen !== 0);
      const paid = await busy(submit, payForm, () => api.post("/v1/supplier-payments", { method: payForm.method.value,
        reference: payForm.reference.value.trim() || null, allocations }));
      if (paid) payForm.replaceWith(h("p", { class: "ok-text", "data-paid": paid.amount_fen, text: `${paid.supplier_name} · ${t("paid")} ${yuan(paid.amount_fen)}` }));
    } },
    h("h2", { text: t("pay_supplier") }),
    h("div", { class: "row" }, field("supplier", picker), field("pay_from", select("method", PAID_FROM.map((method) => [method, t(`pay_from_${method}`)]))),
      field("reference", input("reference", { maxlength: 100 }))), rows, submit);
    return [payForm];
  });
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
          owed.accounts.map((row) => h("tr", { "data-account": row.name }, h("td", { text: row.name }), ...cells(row))))] : null];
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
