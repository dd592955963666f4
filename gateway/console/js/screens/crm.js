// CRM: customer 360 (vehicles, the chain-wide history timeline, member cards, tier and points),
// today's follow-ups (回访) with the outcome form, and complaints.
import { api } from "../api.js";
import { dateTime, endOfLocalDay, toFen, yuan } from "../format.js";
import { historySummary, t } from "../i18n.js";
import { badge, busy, field, fill, form, h, input, select, showError, table, tabbed, values } from "../ui.js";
import { filesCard } from "../files.js";
import { messageRow } from "./messages.js";
import { searchCard } from "./reception.js";

const UPCOMING_DAYS = 7;

export function render(root, ctx) {
  root.append(h("h1", { text: t("nav_crm") }), tabbed({
    customer_360: () => customerTab(ctx),
    follow_ups: () => followUpsTab(ctx),
    complaints: () => complaintsTab(ctx),
  }));
}

function customerTab(ctx) {
  const panel = h("div", { class: "card", id: "customer-360" }, h("p", { class: "hint", text: t("pick_customer_hint") }));
  const results = h("ul", { class: "list" });
  return h("div", { class: "grid" }, searchCard(results, (id) => show360(panel, ctx, id)), panel);
}

async function show360(panel, ctx, customerId) {
  fill(panel, h("p", { class: "hint", text: t("loading") }));
  try {
    const [customer, history, cards, messages] = await Promise.all([
      api.get(`/v1/customers/${customerId}`),
      api.get(`/v1/customers/${customerId}/history`, { limit: 100 }),
      api.get("/v1/member-cards", { customer_id: customerId }).catch(() => ({ items: [] })),
      api.get("/v1/messages", { customer_id: customerId, limit: 20 }).catch(() => ({ items: [] }))]);
    const storeName = (id) => ctx.stores.find((s) => s.id === id)?.name ?? "";
    fill(panel,
      h("h2", { text: `${customer.name} · ${customer.mobile ?? ""}` }),
      h("p", {}, badge(t(`tier_${customer.tier}`), "ok"), ` ${t("points")} ${customer.points ?? 0} · ${t("spend")} ${yuan(customer.spend_fen ?? 0)}`,
        (customer.tags || []).map((tag) => badge(tag))),
      h("h3", { text: t("vehicles") }),
      h("ul", { class: "list" }, customer.vehicles.map((v) => h("li", {}, h("b", { text: v.plate }), ` ${v.make ?? ""} ${v.model ?? ""} · ${v.vin ?? ""} · ${v.mileage_km ?? "—"} km`))),
      h("h3", { text: t("member_cards") }),
      cards.items.length ? h("ul", { class: "list" }, cards.items.map((c) => h("li", {}, `${c.number} · ${t(`card_${c.kind}`)} · ${c.kind === "stored_value" ? yuan(c.balance_fen) : c.package_name}`)))
        : h("p", { class: "hint", text: t("none") }),
      h("h3", { text: t("nav_messages") }),
      messages.items.length ? h("div", { id: "customer-messages" }, table([["message_time"], ["message_template"], ["message_channel"], ["message_status"], ["message_reason"]],
        messages.items.map((m) => messageRow(m, ctx.tz)))) : h("p", { class: "hint", text: t("none") }),
      h("h3", { text: t("history") }),
      h("ul", { class: "list timeline", id: "timeline" }, history.items.map((entry) => h("li", {},
        h("b", { text: dateTime(entry.occurred_at, ctx.tz) }), ` · ${storeName(entry.store_id)} · `, badge(t(`history_${entry.kind}`)),
        ` ${[historySummary(entry), entry.amount_fen ? yuan(entry.amount_fen) : ""].filter(Boolean).join(" · ")}`))));
  } catch (error) {
    fill(panel, h("div", { class: "form-error" }));
    showError(panel, error);
  }
}

/** Today's follow-ups, then those of the coming days: a delivery schedules its call some days
 * later (the store's setting), and a customer met or calling back before then is recorded early. */
function followUpsTab(ctx) {
  const card = h("div", { class: "card", id: "follow-ups" }, h("p", { class: "hint", text: t("loading") }));
  const today = endOfLocalDay(ctx.tz);
  api.get("/v1/follow-ups", { store_id: ctx.store.id, due_before: endOfLocalDay(ctx.tz, UPCOMING_DAYS), limit: 100 }).then((page) => {
    const open = page.items.filter((f) => ["scheduled", "due"].includes(f.status));
    const section = (title, items) => [h("h2", { text: t(title) }),
      ...(items.length ? items.map((f) => followUpForm(f, ctx)) : [h("p", { class: "hint", text: t("none") })])];
    fill(card, ...section("follow_ups_due", open.filter((f) => new Date(f.due_at) < new Date(today))),
      ...section("follow_ups_upcoming", open.filter((f) => new Date(f.due_at) >= new Date(today))));
  }).catch((error) => { fill(card, h("div", { class: "form-error" })); showError(card, error); });
  return card;
}

function followUpForm(followUp, ctx) {
  const submit = h("button", { type: "submit", class: "primary", text: t("save_outcome") });
  const outcome = form({ class: "follow-up", "data-follow-up": followUp.id, onsubmit: async (event) => {
    event.preventDefault();
    const v = values(outcome);
    const reached = Boolean(v.reached);
    const done = await busy(submit, outcome, () => api.post(`/v1/follow-ups/${followUp.id}/complete`, { reached,
      ...(reached ? { satisfaction: Number(v.satisfaction) } : {}), ...(v.comment ? { comment: v.comment } : {}),
      ...(v.complaint ? { complaint: v.complaint } : {}) }));
    if (done) outcome.replaceWith(h("p", { class: "ok-text", text: `${followUp.customer_name} · ${t(`follow_up_${done.status}`)}${done.complaint_id ? ` · ${t("complaint_opened")}` : ""}` }));
  } },
  h("h3", { text: `${followUp.customer_name ?? ""} · ${followUp.plate ?? ""} · ${followUp.mobile ?? ""}` }),
  h("p", { class: "hint", text: `${t("delivered_at")} ${dateTime(followUp.delivered_at, ctx.tz)} · ${t("due")} ${dateTime(followUp.due_at, ctx.tz)}` }),
  h("div", { class: "row" },
    h("label", {}, input("reached", { type: "checkbox", value: "1", checked: true }), ` ${t("reached")}`),
    field("satisfaction", select("satisfaction", [5, 4, 3, 2, 1].map((n) => [n, "★".repeat(n)])))),
  field("comment", input("comment")), field("complaint", input("complaint", { placeholder: t("complaint_hint") })), submit);
  return outcome;
}

function complaintsTab(ctx) {
  const card = h("div", { class: "card", id: "complaints" }, h("p", { class: "hint", text: t("loading") }));
  const evidence = h("div", { id: "complaint-files", hidden: true });
  const showFiles = (c) => {
    evidence.hidden = false;
    fill(evidence, h("h3", { text: `${t("complaints")} · ${c.description}` }), filesCard(`/v1/complaints/${c.id}/attachments`, ctx));
  };
  api.get("/v1/complaints", { store_id: ctx.store.id, limit: 100 }).then((page) => {
    fill(card, h("h2", { text: t("complaints") }), page.items.length ? table([["created_at"], ["description"], ["state"], [""], [""]],
      page.items.map((c) => h("tr", { "data-complaint": c.id }, h("td", { text: dateTime(c.created_at, ctx.tz) }), h("td", { text: c.description }),
        h("td", {}, badge(t(`complaint_${c.status}`), c.status === "open" ? "bad" : "")),
        h("td", {}, ["open", "in_progress"].includes(c.status) ? complaintForm(c) : c.resolution ?? ""),
        h("td", {}, h("button", { type: "button", class: "link files-open", text: t("files"), onclick: () => showFiles(c) })))))
      : h("p", { class: "hint", text: t("none") }), evidence);
  }).catch((error) => { fill(card, h("div", { class: "form-error" })); showError(card, error); });
  return card;
}

function complaintForm(complaint) {
  const submit = h("button", { type: "submit", class: "secondary", text: t("save") });
  const work = form({ class: "complaint-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(work);
    const compensation = v.compensation_yuan ? toFen(v.compensation_yuan) : undefined;
    if (Number.isNaN(compensation)) return showError(work, { message: t("fix_fields"), fields: { compensation_fen: [t("amount_invalid")] } });
    const next = await busy(submit, work, () => api.patch(`/v1/complaints/${complaint.id}`, { status: v.status,
      ...(v.resolution ? { resolution: v.resolution } : {}), ...(compensation !== undefined ? { compensation_fen: compensation } : {}) }));
    if (next) work.replaceWith(badge(t(`complaint_${next.status}`), "ok"));
  } },
  field("state", select("status", ["in_progress", "resolved", "closed"].map((s) => [s, t(`complaint_${s}`)]))),
  field("resolution", input("resolution")),
  h("label", { class: "field", "data-field": "compensation_fen" }, h("span", { text: t("compensation_yuan") }),
    input("compensation_yuan", { inputmode: "decimal" }), h("small", { class: "field-error" })), submit);
  return work;
}
