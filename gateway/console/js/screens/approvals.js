// The store manager's approval queue: every quote whose discount (or a price below cost) waits for
// a manager, with the customer and car, the amounts, the advisor's reason and why it waits; approve
// (with a note) or reject (with a reason). Below them the refunds above the store's limit the till asked
// for (invoice, customer, car, amount, method, reason, who asked): approve (the refund is made) or decline
// with a reason. The nav badge counts what waits (`pendingCount`). Live: a quote or a refund appears or
// goes when its wait begins or ends (live.js; polled while the stream is down).
import { api } from "../api.js";
import { dateTime, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, newest } from "../ui.js";
import { watch } from "../live.js";

/** Fired after an approval or a rejection, so the nav badge counts again. */
export const CHANGED = "approvals-changed";

const waiting = (storeId) => api.all("/v1/quotes", { store_id: storeId, approval_status: "pending" }, 200);
const refundsWaiting = (storeId) => api.all("/v1/refund-requests", { store_id: storeId, status: "pending" }, 200);

/** What the approval queue follows on the live stream. */
export const EVENTS = ["sales.quote_approval_changed", "finance.refund_request_changed"];

/** How many quotes and refunds of the store wait for a manager (the nav badge). */
export async function pendingCount(ctx) {
  if (!ctx.store) return 0;
  const [quotes, refunds] = await Promise.all([waiting(ctx.store.id), refundsWaiting(ctx.store.id)]);
  return quotes.length + refunds.length;
}

export function render(root, ctx) {
  const list = h("div", { id: "approvals" }, h("p", { class: "hint", text: t("loading") }));
  const refunds = h("div", { id: "refund-approvals" }, h("p", { class: "hint", text: t("loading") }));
  const counts = { quotes: 0, refunds: 0 };
  const told = () => window.dispatchEvent(new CustomEvent(CHANGED, { detail: counts.quotes + counts.refunds }));
  const reload = () => load(list, ctx, reload, (n) => { counts.quotes = n; told(); });
  const reloadRefunds = () => loadRefunds(refunds, ctx, reloadRefunds, (n) => { counts.refunds = n; told(); });
  root.classList.add("manage");
  root.append(h("div", { class: "row" }, h("h1", { text: t("nav_approvals") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", text: t("refresh"), onclick: () => { reload(); reloadRefunds(); } })),
  h("h2", { text: t("approvals_waiting") }), list, h("h2", { text: t("refunds_waiting") }), refunds);
  reload();
  reloadRefunds();
  watch(list, ["sales.quote_approval_changed"], reload);
  watch(refunds, ["finance.refund_request_changed"], reloadRefunds);
}

/** Names for the ids a quote carries: its customer, car and advisor (what cannot be read stays out). */
async function parties(quotes, ctx) {
  const get = (path) => api.get(path).catch(() => null);
  const staff = await api.all("/v1/users", { store_id: ctx.store.id }, 500).catch(() => []);
  const advisors = Object.fromEntries(staff.map((u) => [u.id, u.display_name || u.username]));
  return Promise.all(quotes.map(async (quote) => {
    const [customer, vehicle] = await Promise.all([get(`/v1/customers/${quote.customer_id}`),
      quote.vehicle_id ? get(`/v1/vehicles/${quote.vehicle_id}`) : null]);
    return { quote, customer, vehicle, advisor: advisors[quote.advisor_id] };
  }));
}

async function load(list, ctx, reload, counted) {
  const current = newest(list);
  try {
    const items = await parties(await waiting(ctx.store.id), ctx);
    if (!current()) return;
    counted(items.length);
    const typed = typedIn(list);
    fill(list, items.length ? items.map((item) => approvalCard(item, ctx, reload))
      : h("p", { class: "hint", id: "approvals-empty", text: t("approvals_none") }));
    restore(list, typed);
  } catch (error) {
    if (current()) fill(list, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** What the manager has typed into the cards (a note, a reason): a live refresh redraws them with it kept. */
function typedIn(list) {
  return [...list.querySelectorAll("[data-quote] form input[name], [data-quote] form textarea[name]")]
    .filter((el) => el.value)
    .map((el) => [el.closest("[data-quote]").dataset.quote, el.closest("form").className, el.name, el.value]);
}

function restore(list, typed) {
  for (const [quote, formClass, name, value] of typed) {
    const el = list.querySelector(`[data-quote="${quote}"] form.${formClass} [name="${name}"]`);
    if (el && !el.value) el.value = value;
  }
}

/** Why the quote waits, in the reader's words (sales' codes and params). */
export const needs = (quote) => (quote.approval_needs || []).map((need) =>
  phrase(`approval_${need.code}`, need) ?? t("approval_pending"));

/** The advisor's reasons: the whole quote's, then each discounted line's. */
const reasons = (quote) => [quote.discount_reason,
  ...quote.lines.filter((line) => line.discount_reason).map((line) => `${line.description} · ${line.discount_reason}`)]
  .filter(Boolean);

function approvalCard({ quote, customer, vehicle, advisor }, ctx, reload) {
  const percent = quote.totals.subtotal_fen ? ` (${(100 * quote.totals.discount_fen / quote.totals.subtotal_fen).toFixed(1)}%)` : "";
  const car = vehicle ? [vehicle.plate, vehicle.make, vehicle.model].filter(Boolean).join(" ") : "";
  return h("article", { class: "card approval", "data-quote": quote.id },
    h("div", { class: "row" },
      h("h3", {}, h("a", { href: `#/quotes/${quote.id}`, text: `${t("quote")} ${quote.number}` })),
      badge(t("approval_pending"), "warn"), h("span", { class: "spacer" }),
      h("span", { class: "hint", text: dateTime(quote.created_at, ctx.tz) })),
    h("dl", { class: "facts" },
      h("dt", { text: t("customer") }), h("dd", { "data-customer": "", text: customer ? `${customer.name} · ${customer.mobile ?? ""}` : "—" }),
      h("dt", { text: t("plate") }), h("dd", { "data-plate": "", text: car || "—" }),
      advisor ? [h("dt", { text: t("advisor") }), h("dd", { text: advisor })] : null,
      h("dt", { text: t("subtotal") }), h("dd", { text: yuan(quote.totals.subtotal_fen) }),
      h("dt", { text: t("discount_amount") }), h("dd", { "data-discount": "", text: `${yuan(quote.totals.discount_fen)}${percent}` }),
      h("dt", { text: t("total") }), h("dd", { "data-total": "", text: yuan(quote.totals.total_fen) }),
      h("dt", { text: t("discount_reason") }), h("dd", { "data-reason": "", text: reasons(quote).join(t("sep_clause")) || "—" }),
      h("dt", { text: t("why_waiting") }), h("dd", { "data-needs": "", text: needs(quote).join(t("sep_clause")) || "—" })),
    h("div", { class: "grid" }, approveForm(quote, reload), rejectForm(quote, () => reload())));
}

function approveForm(quote, reload) {
  const submit = h("button", { class: "primary", type: "submit", text: t("approve") });
  const approve = form({ class: "approve-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const done = await busy(submit, approve, () => api.post(`/v1/quotes/${quote.id}/discount/approve`, { note: approve.note.value.trim() || null }));
    if (done) { flash(`${t("approved_done")} · ${quote.number}`); reload(); }
  } }, field("approve_note", input("note", { maxlength: 200 })), submit);
  return approve;
}

/** Reject with a reason (required before anything is sent); `done(quote)` gets the rejected quote. */
export function rejectForm(quote, done) {
  return reasonForm({ kind: "reject", label: "reject_reason", required: "reason_required" },
    (reason) => api.post(`/v1/quotes/${quote.id}/discount/reject`, { reason }),
    (rejected) => { flash(`${t("rejected_done")} · ${quote.number}`); done(rejected); });
}

/** A refusal's form (`<kind>-form`): its reason is required before `send(reason)` is called; `done(answer)`. */
function reasonForm({ kind, label, required }, send, done) {
  const submit = h("button", { class: "danger", type: "submit", text: t(kind) });
  const refuse = form({ class: `${kind}-form`, onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const reason = refuse.reason.value.trim();
    const slot = refuse.querySelector("[data-field=reason]");
    slot.classList.toggle("invalid", !reason);
    slot.querySelector(".field-error").textContent = reason ? "" : t(required);
    if (!reason) return;
    const answer = await busy(submit, refuse, () => send(reason));
    if (answer) done(answer);
  } }, field(label, input("reason", { maxlength: 200 })), submit);
  return refuse;
}

// -- refunds above the store's limit ------------------------------------------------------------------

async function loadRefunds(box, ctx, reload, counted) {
  const current = newest(box);
  try {
    const requests = await refundsWaiting(ctx.store.id);
    const get = (path) => api.get(path).catch(() => null);
    const staff = await api.all("/v1/users", { store_id: ctx.store.id }, 500).catch(() => []);
    const names = Object.fromEntries(staff.map((u) => [u.id, u.display_name || u.username]));
    const items = await Promise.all(requests.map(async (request) => {
      const [customer, vehicle] = await Promise.all([get(`/v1/customers/${request.customer_id}`),
        request.vehicle_id ? get(`/v1/vehicles/${request.vehicle_id}`) : null]);
      return { request, customer, vehicle, asked: names[request.requested_by] };
    }));
    if (!current()) return;
    counted(items.length);
    const typed = [...box.querySelectorAll("[data-refund-request] [name=reason]")].filter((el) => el.value)
      .map((el) => [el.closest("[data-refund-request]").dataset.refundRequest, el.value]);
    fill(box, items.length ? items.map((item) => refundCard(item, ctx, reload))
      : h("p", { class: "hint", id: "refund-approvals-empty", text: t("approvals_none") }));
    for (const [id, value] of typed) {
      const el = box.querySelector(`[data-refund-request="${id}"] [name=reason]`);
      if (el) el.value = value;
    }
  } catch (error) {
    if (current()) fill(box, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function refundCard({ request, customer, vehicle, asked }, ctx, reload) {
  const car = vehicle ? [vehicle.plate, vehicle.make, vehicle.model].filter(Boolean).join(" ") : "";
  return h("article", { class: "card approval", "data-refund-request": request.id },
    h("div", { class: "row" },
      h("h3", { text: `${t("invoice")} ${request.invoice_number ?? "—"}` }),
      badge(t("refund_request_pending"), "warn"), h("span", { class: "spacer" }),
      h("span", { class: "hint", text: dateTime(request.created_at, ctx.tz) })),
    h("dl", { class: "facts" },
      h("dt", { text: t("customer") }), h("dd", { "data-customer": "", text: customer ? customer.name : "—" }),
      h("dt", { text: t("plate") }), h("dd", { "data-plate": "", text: car || "—" }),
      h("dt", { text: t("refund_amount") }), h("dd", { "data-amount": "", text: yuan(request.amount_fen) }),
      h("dt", { text: t("payment_method") }), h("dd", { text: t(`method_${request.method}`) }),
      h("dt", { text: t("refund_reason") }), h("dd", { "data-reason": "", text: request.reason }),
      h("dt", { text: t("asked_by") }), h("dd", { "data-asked-by": "", text: asked ?? "—" })),
    h("div", { class: "grid" }, approveRefund(request, reload), declineRefund(request, reload)));
}

function approveRefund(request, reload) {
  const submit = h("button", { class: "primary", type: "submit", text: t("approve_refund") });
  const approve = form({ class: "approve-refund-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const done = await busy(submit, approve, () => api.post(`/v1/refund-requests/${request.id}/approve`, {}));
    if (done) { flash(`${t(`refund_request_${done.status}`)} · ${yuan(done.amount_fen)}`); reload(); }
  } }, submit, h("div", { class: "form-error" }));
  return approve;
}

function declineRefund(request, reload) {
  return reasonForm({ kind: "decline", label: "decline_reason", required: "decline_reason_required" },
    (reason) => api.post(`/v1/refund-requests/${request.id}/decline`, { reason }),
    (declined) => { flash(`${t("declined_done")} · ${yuan(declined.amount_fen)}`); reload(); });
}
