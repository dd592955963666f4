// The store manager's approval queue: every quote whose discount (or a price below cost) waits for
// a manager, with the customer and car, the amounts, the advisor's reason and why it waits; approve
// (with a note) or reject (with a reason). The nav badge counts what waits (`pendingCount`). Live: a quote
// appears or goes when its wait begins or ends (live.js; polled while the stream is down).
import { api } from "../api.js";
import { dateTime, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, newest } from "../ui.js";
import { watch } from "../live.js";

/** Fired after an approval or a rejection, so the nav badge counts again. */
export const CHANGED = "approvals-changed";

const waiting = (storeId) => api.all("/v1/quotes", { store_id: storeId, approval_status: "pending" }, 200);

/** How many quotes of the store wait for a manager (the nav badge). */
export async function pendingCount(ctx) {
  return ctx.store ? (await waiting(ctx.store.id)).length : 0;
}

export function render(root, ctx) {
  const list = h("div", { id: "approvals" }, h("p", { class: "hint", text: t("loading") }));
  const reload = () => load(list, ctx, reload);
  root.classList.add("manage");
  root.append(h("div", { class: "row" }, h("h1", { text: t("approvals_waiting") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", text: t("refresh"), onclick: reload })), list);
  reload();
  watch(list, ["sales.quote_approval_changed"], reload);
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

async function load(list, ctx, reload) {
  const current = newest(list);
  try {
    const items = await parties(await waiting(ctx.store.id), ctx);
    if (!current()) return;
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: items.length }));
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
      h("h2", {}, h("a", { href: `#/quotes/${quote.id}`, text: `${t("quote")} ${quote.number}` })),
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
  const submit = h("button", { class: "danger", type: "submit", text: t("reject") });
  const reject = form({ class: "reject-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const reason = reject.reason.value.trim();
    const slot = reject.querySelector("[data-field=reason]");
    slot.classList.toggle("invalid", !reason);
    slot.querySelector(".field-error").textContent = reason ? "" : t("reason_required");
    if (!reason) return;
    const rejected = await busy(submit, reject, () => api.post(`/v1/quotes/${quote.id}/discount/reject`, { reason }));
    if (rejected) { flash(`${t("rejected_done")} · ${quote.number}`); done(rejected); }
  } }, field("reject_reason", input("reason", { maxlength: 200 })), submit);
  return reject;
}
