// Company accounts (挂账单位) for the cashier, the manager and HQ: the accounts this store may charge to
// with their balance and credit left; an account's members (customers and cars found like at reception),
// its monthly statement (each car and invoice), and the company's payment received against it. Managers
// and HQ open accounts; charging an invoice is on the cashier's screen.
import { api } from "../api.js";
import { date, fenToInput, localDay, toFen, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, loading, monthInput, openPdf, select, showError, table } from "../ui.js";


export function render(root, ctx) {
  const detail = h("div", { id: "account-detail" });
  const list = h("div", {});
  const refresh = () => fill(list, loading("company-accounts", async () => {
    const page = await api.get("/v1/company-accounts", ctx.user.sees_every_store ? { limit: 200 } : { store_id: ctx.store.id, limit: 200 });
    return [h("h2", { text: t("company_accounts") }), page.items.length ? table(
      [["company_name"], ["tax_number"], ["credit_limit", "num"], ["account_balance", "num"], ["credit_available", "num"], ["state"], ["account_overdue"]],
      page.items.map((account) => h("tr", { "data-account": account.name, class: "clickable", "data-overdue": account.overdue_fen || 0,
        onclick: () => showAccount(detail, account.id, ctx, refresh) },
        h("td", { text: account.name }), h("td", { text: account.tax_number }),
        h("td", { class: "num", text: yuan(account.credit_limit_fen) }), h("td", { class: "num", text: yuan(account.balance_fen) }),
        h("td", { class: "num", text: yuan(account.available_fen) }),
        h("td", {}, badge(t(`account_${account.status}`), account.status === "active" ? "ok" : "bad")),
        h("td", { class: "overdue" }, account.overdue_fen > 0
          ? badge(phrase("overdue_amount_days", { amount: account.overdue_fen, days: account.overdue_days }), "bad") : "—"))))
      : h("p", { class: "hint", text: t("none") })];
  }));
  refresh();
  root.append(h("h1", { text: t("nav_accounts") }),
    h("div", { class: "grid" }, h("div", {}, list, ctx.user.manages ? openForm(ctx, refresh) : null), detail));
}

function openForm(ctx, refresh) {
  const stores = ctx.user.sees_every_store ? ctx.stores : [ctx.store];
  const submit = h("button", { type: "submit", class: "primary", text: t("open_company_account") });
  const opening = form({ class: "card", id: "company-account-form", onsubmit: async (event) => {
    event.preventDefault();
    const limit = toFen(opening.credit_limit.value);
    if (Number.isNaN(limit)) return showError(opening, { message: t("fix_fields"), fields: { credit_limit_fen: [t("amount_invalid")] } });
    const body = { name: opening.name.value.trim(), tax_number: opening.tax_number.value.trim(), credit_limit_fen: limit,
      payment_terms_days: Number(opening.payment_terms_days.value || 30),
      contact_name: opening.contact_name.value.trim() || null, contact_phone: opening.contact_phone.value.trim() || null,
      store_ids: [...opening.querySelectorAll("[name=store_ids]:checked")].map((box) => box.value) };
    const made = await busy(submit, opening, () => api.post("/v1/company-accounts", body));
    if (made) { flash(`${made.name} · ${t("opened")}`); opening.reset(); refresh(); }
  } },
  h("h2", { text: t("open_company_account") }),
  h("div", { class: "row" }, field("company_name", input("name", { required: true, maxlength: 100 })),
    field("tax_number", input("tax_number", { required: true, maxlength: 20, placeholder: "91350100M000100Y43" }), t("tax_number_hint"))),
  h("div", { class: "row" }, field("contact_name", input("contact_name", { maxlength: 50 })),
    field("contact_phone", input("contact_phone", { maxlength: 20 }))),
  h("div", { class: "row" },
    h("label", { class: "field", "data-field": "credit_limit_fen" }, h("span", { text: t("credit_limit_yuan") }),
      input("credit_limit", { inputmode: "decimal", required: true }), h("small", { class: "field-error" })),
    field("payment_terms_days", input("payment_terms_days", { type: "number", min: 0, max: 180, value: 30 }), t("payment_terms_hint"))),
  h("fieldset", { class: "field", "data-field": "store_ids" }, h("legend", { text: t("stores_that_may_charge") }),
    stores.map((store) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "store_ids", value: store.id, checked: store.id === ctx.store.id }), ` ${store.name}`)),
    h("small", { class: "field-error" })),
  submit);
  return opening;
}

async function showAccount(detail, accountId, ctx, refreshList) {
  fill(detail, h("p", { class: "hint", text: t("loading") }));
  let account;
  try {
    account = await api.get(`/v1/company-accounts/${accountId}`);
  } catch (error) {
    fill(detail, h("div", { class: "form-error" }));
    return showError(detail, error);
  }
  const again = () => { refreshList(); showAccount(detail, accountId, ctx, refreshList); };
  const storeName = (id) => ctx.stores.find((s) => s.id === id)?.name ?? "—";
  fill(detail, h("div", { class: "card", id: "account", "data-account": account.name },
    h("div", { class: "row" }, h("h2", { text: account.name }), badge(t(`account_${account.status}`), account.status === "active" ? "ok" : "bad")),
    h("dl", { class: "facts" },
      ...[["tax_number", account.tax_number], ["contact_name", account.contact_name ?? "—"], ["contact_phone", account.contact_phone ?? "—"],
        ["credit_limit", yuan(account.credit_limit_fen)], ["account_balance", yuan(account.balance_fen)],
        ["credit_available", yuan(account.available_fen)], ["payment_terms_days", phrase("terms_days", { days: account.payment_terms_days })],
        ["stores_that_may_charge", account.store_ids.map(storeName).join("、")]]
        .flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", { "data-fact": key, text: value })]))),
  membersCard(account, ctx, again),
  statementCard(account, ctx),
  account.balance_fen > 0 ? paymentCard(account, again) : null);
}

function membersCard(account, ctx, again) {
  const card = h("div", { class: "card", id: "account-members" }, h("h2", { text: t("account_members") }),
    account.members.length ? h("ul", { class: "list" }, account.members.map((m) => h("li", { "data-member": m.label },
      h("b", { text: m.label }), ` · ${t(m.vehicle_id ? "member_vehicle" : "member_customer")}`)))
      : h("p", { class: "hint", text: t("no_members") }));
  if (!ctx.user.manages) return card;
  const results = h("ul", { class: "list", id: "member-results" });
  const add = async (button, body) => {
    const made = await busy(button, card, () => api.post(`/v1/company-accounts/${account.id}/members`, body));
    if (made) { flash(`${made.label} · ${t("member_added")}`); again(); }
  };
  const submit = h("button", { type: "submit", class: "secondary", text: t("search") });
  const search = form({ id: "member-search", onsubmit: async (event) => {
    event.preventDefault();
    fill(results, h("li", { class: "hint", text: t("loading") }));
    const page = await busy(submit, search, () => api.get("/v1/customers", { q: search.q.value.trim(), limit: 20 }));
    if (!page) { fill(results); return; }
    fill(results, ...(page.items.length ? page.items.map((c) => h("li", { "data-customer": c.name },
      h("b", { text: c.name }), ` · ${c.mobile ?? ""} `,
      h("button", { type: "button", class: "link", text: t("add_customer_member"), onclick: (e) => add(e.target, { customer_id: c.id }) }),
      ...(c.vehicles || []).map((v) => h("button", { type: "button", class: "link", "data-plate": v.plate,
        text: phrase("add_vehicle_member", { plate: v.plate }), onclick: (e) => add(e.target, { vehicle_id: v.id }) }))))
      : [h("li", { class: "hint", text: t("nothing_found") })]));
  } }, h("div", { class: "row" }, field("search_hint", input("q", { required: true, placeholder: "A123 / 5678 / 张" })), submit));
  card.append(search, results);
  return card;
}

function statementCard(account, ctx) {
  const body = h("div", { id: "account-statement" });
  const month = monthInput("month", { value: localDay(ctx.tz).slice(0, 7) });
  const storeName = (id) => ctx.stores.find((s) => s.id === id)?.name ?? "—";
  const show = () => fill(body, loading("statement", async () => {
    const s = await api.get(`/v1/company-accounts/${account.id}/statements`, { month: month.value });
    return [h("p", {}, `${t("tax_number")} ${s.tax_number} · ${t("statement_due_on")} ${date(s.due_on, ctx.tz)}`),
      table([["statement_date"], ["store"], ["plate"], ["invoice"], ["amount", "num"], ["balance", "num"]], [
        h("tr", { class: "total" }, h("td", { text: t("brought_forward") }), h("td"), h("td"), h("td"), h("td"),
          h("td", { class: "num", text: yuan(s.opening_balance_fen) })),
        ...s.lines.map((line) => h("tr", { "data-line": line.kind, "data-invoice": line.invoice_number ?? "" },
          h("td", { text: date(line.date, ctx.tz) }), h("td", { text: line.store_id ? storeName(line.store_id) : "—" }),
          h("td", { text: line.plate ?? "—" }),
          h("td", { text: line.kind === "charge" ? line.invoice_number : `${t("company_paid")}${line.reference ? ` · ${line.reference}` : ""}` }),
          h("td", { class: "num", text: yuan(line.amount_fen) }), h("td", { class: "num", text: yuan(line.balance_fen) }))),
        h("tr", { class: "total" }, h("td", { text: t("carried_forward") }), h("td"), h("td"), h("td"),
          h("td", { class: "num", text: yuan(s.charged_fen - s.paid_fen) }),
          h("td", { class: "num", "data-closing": s.closing_balance_fen, text: yuan(s.closing_balance_fen) }))])];
  }));
  month.addEventListener("change", show);
  show();
  const print = h("button", { type: "button", class: "secondary", id: "print-statement", text: t("print_statement"),
    onclick: () => openPdf(print, api, `/v1/company-accounts/${account.id}/statements/${month.value}.pdf`) });
  return h("div", { class: "card" }, h("div", { class: "row" }, h("h2", { text: t("monthly_statement") }), field("statement_month", month),
    h("span", { class: "print" }, print, h("span", { class: "form-error" }))), body);
}

function paymentCard(account, again) {
  const submit = h("button", { type: "submit", class: "primary", text: t("receive_company_payment") });
  const pay = form({ class: "card", id: "account-payment-form", onsubmit: async (event) => {
    event.preventDefault();
    const amount = toFen(pay.amount.value);
    if (Number.isNaN(amount)) return showError(pay, { message: t("fix_fields"), fields: { amount_fen: [t("amount_invalid")] } });
    const paid = await busy(submit, pay, () => api.post(`/v1/company-accounts/${account.id}/payments`,
      { method: pay.method.value, amount_fen: amount, reference: pay.reference.value.trim() || null }));
    if (paid) {
      flash(`${account.name} · ${t("paid")} ${yuan(paid.amount_fen)} · ${paid.allocations.map((a) => a.invoice_number).join("、")}`);
      again();
    }
  } },
  h("h2", { text: t("receive_company_payment") }), h("p", { class: "hint", text: t("company_payment_hint") }),
  h("div", { class: "row" }, field("pay_into", select("method", ["bank", "cash"].map((m) => [m, t(`pay_from_${m}`)]))),
    h("label", { class: "field", "data-field": "amount_fen" }, h("span", { text: t("amount_yuan") }),
      input("amount", { inputmode: "decimal", value: fenToInput(account.balance_fen) }), h("small", { class: "field-error" })),
    field("reference", input("reference", { maxlength: 100 }))),
  submit);
  return pay;
}
