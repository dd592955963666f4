// Care campaigns (营销活动): the campaigns a manager sees (their stores' and the chain's; HQ every one), each by its
// name, its store (全连锁: chain-wide), channel, customers in words, send time on the store's clock, state and how
// many messages were sent (through the SMS / WeChat providers), delivered (the text's receipt came) or failed; a form to schedule one (the segment as the API takes it: tags, tiers, this
// month's birthdays, not seen for N days, service due within N days, spend), a 预览 that counts who would receive
// it and who is left out for refusing marketing messages, and 取消 for one not sent yet. HQ chooses a store or the
// whole chain; a manager one of their own stores. Consent, the channel's rate limit, the store's quiet hours (a
// message waits until they end) and the customer's weekly marketing allowance (beyond it a message is skipped: its
// own column, 超出每周上限) and sending are crm's.
import { api } from "../api.js";
import { dateTime, localInstant, toFen } from "../format.js";
import { named, phrase, t } from "../i18n.js";
import { badge, busy, clearErrors, dateInput, field, fill, flash, form, h, input, newest, select, showError, table,
  timeInput } from "../ui.js";

const CHANNELS = ["sms", "wechat"];
const TIERS = ["standard", "silver", "gold", "platinum"];
const RECURRENCES = ["none", "monthly"];
const PLACEHOLDERS = ["name", "tier", "points", "plate", "due_service", "due_on", "month"];
const TONE = { scheduled: "warn", sending: "warn", completed: "ok", cancelled: "" };
const POLL_MS = 3000;
const SOON_MS = 60_000; // a campaign due within this is followed until it is sent

export function render(root, ctx) {
  const list = h("div", { id: "campaign-list" });
  const load = () => listInto(list, ctx, load);
  root.append(h("h1", { text: t("nav_campaigns") }), h("p", { class: "hint", text: t("campaigns_intro") }),
    createForm(ctx, load), h("div", { class: "card wide" }, h("h2", { text: t("campaign_list") }), list));
  load();
}

const storeName = (ctx, id) => (id ? ctx.stores.find((store) => store.id === id)?.name ?? "—" : t("campaign_chain_wide"));

/** The stores the campaign may be for: HQ the whole chain (全连锁) or any store; anybody else their own. */
function storeOptions(ctx) {
  const stores = ctx.stores.map((store) => [store.id, store.name]);
  return ctx.user.sees_every_store ? [["", t("campaign_chain_wide")], ...stores] : stores;
}

/** The customers a campaign is for, in words (every customer of its store when it names none). */
function segmentWords(segment, ctx) {
  const said = [];
  if (segment.tags?.length) said.push(phrase("segment_says_tags", { tags: segment.tags }));
  if (segment.tiers?.length) said.push(phrase("segment_says_tiers", { tiers: segment.tiers }));
  if (segment.birthday_this_month) said.push(t("segment_birthday_this_month"));
  if (segment.last_visit_before_days != null) said.push(phrase("segment_says_lapsed", { days: segment.last_visit_before_days }));
  if (segment.service_due_within_days != null) said.push(phrase("segment_says_due", { days: segment.service_due_within_days }));
  if (segment.spend_min_fen != null) said.push(phrase("segment_says_spend_min", { fen: segment.spend_min_fen }));
  if (segment.spend_max_fen != null) said.push(phrase("segment_says_spend_max", { fen: segment.spend_max_fen }));
  if (segment.home_store_id) said.push(phrase("segment_says_home_store", { store: storeName(ctx, segment.home_store_id) }));
  return said.length ? said.join("；") : t("segment_everyone");
}

/** The form's segment as the API takes it; a yuan amount that is not one is NaN (the form refuses it). */
function segmentOf(card) {
  const value = (name) => card.querySelector(`[name="segment.${name}"]`).value.trim();
  const segment = {};
  const tags = value("tags").split(/[,，、\s]+/).filter(Boolean);
  if (tags.length) segment.tags = tags;
  const tiers = [...card.querySelectorAll("[name='segment.tiers']:checked")].map((box) => box.value);
  if (tiers.length) segment.tiers = tiers;
  if (card.querySelector("[name='segment.birthday_this_month']").checked) segment.birthday_this_month = true;
  for (const name of ["last_visit_before_days", "service_due_within_days"]) {
    if (value(name) !== "") segment[name] = Number(value(name));
  }
  for (const name of ["spend_min_fen", "spend_max_fen"]) {
    if (value(name) !== "") segment[name] = toFen(value(name));
  }
  return segment;
}

/** Amounts typed in 元 that are not amounts, said under their fields (the API takes fen). */
function badAmounts(card, segment) {
  const bad = ["spend_min_fen", "spend_max_fen"].filter((name) => Number.isNaN(segment[name]));
  if (!bad.length) return false;
  showError(card, { code: "validation_failed", fields: Object.fromEntries(bad.map((name) => [`segment.${name}`, [t("amount_invalid")]])) });
  return true;
}

function createForm(ctx, reload) {
  const submit = h("button", { class: "primary", type: "submit", text: t("campaign_schedule") });
  const previewButton = h("button", { class: "secondary", type: "button", id: "campaign-preview-button", text: t("campaign_preview") });
  const preview = h("p", { class: "hint", id: "campaign-preview", "aria-live": "polite" });
  const store = select("store_id", storeOptions(ctx));
  store.value = ctx.store.id;
  const template = h("textarea", { name: "template", rows: 3, maxlength: 500, required: true });
  const storeId = () => store.value || null;
  const zone = () => ctx.stores.find((s) => s.id === storeId())?.timezone || ctx.tz;
  const card = form({ class: "card wide", id: "campaign-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const segment = segmentOf(card);
    if (badAmounts(card, segment)) return;
    const day = card.querySelector("[name=send_day]").value.trim();
    const time = card.querySelector("[name=send_time]").value.trim() || "09:00";
    const body = { store_id: storeId(), name: card.querySelector("[name=name]").value.trim(),
      channel: card.querySelector("[name=channel]").value, template: card.querySelector("[name=template]").value.trim(),
      segment, recurrence: card.querySelector("[name=recurrence]").value,
      scheduled_at: day ? localInstant(day, time, zone()) : null };
    const made = await busy(submit, card, () => api.post("/v1/campaigns", body));
    if (!made) return;
    flash(phrase("campaign_scheduled_flash", { name: made.name }));
    for (const name of ["name", "template", "send_day"]) card.querySelector(`[name=${name}]`).value = "";
    fill(preview);
    reload();
  } },
  h("h2", { text: t("campaign_new") }),
  h("div", { class: "row" }, field("campaign_name", input("name", { required: true, maxlength: 100 })),
    field("campaign_store", store),
    field("message_channel", select("channel", CHANNELS.map((channel) => [channel, named("channel", channel)])))),
  h("fieldset", { class: "field", "data-field": "segment" }, h("legend", { text: t("campaign_segment") }),
    h("p", { class: "hint", text: t("campaign_segment_hint") }),
    h("div", { class: "row" },
      field("segment_tags", input("segment.tags", { maxlength: 400 }), t("segment_tags_hint")),
      field("segment_lapsed_days", input("segment.last_visit_before_days", { type: "number", min: 1, max: 3650 })),
      field("segment_due_days", input("segment.service_due_within_days", { type: "number", min: 0, max: 365 }))),
    h("div", { class: "row" },
      h("fieldset", { class: "field", "data-field": "segment.tiers" }, h("legend", { text: t("segment_tiers") }),
        TIERS.map((tier) => h("label", { class: "check" },
          h("input", { type: "checkbox", name: "segment.tiers", value: tier }), ` ${named("tier", tier)}`)),
        h("small", { class: "field-error" })),
      h("label", { class: "check", "data-field": "segment.birthday_this_month" },
        h("input", { type: "checkbox", name: "segment.birthday_this_month", value: "1" }), ` ${t("segment_birthday_this_month")}`),
      field("segment_spend_min", input("segment.spend_min_fen", { inputmode: "decimal" })),
      field("segment_spend_max", input("segment.spend_max_fen", { inputmode: "decimal" }))),
    h("small", { class: "field-error" })),
  field("campaign_template", template), placeholderButtons(template),
  h("div", { class: "row" },
    field("campaign_send_day", dateInput("send_day"), t("campaign_send_day_hint")),
    field("campaign_send_time", timeInput("send_time", { value: "09:00" })),
    field("campaign_recurrence", select("recurrence", RECURRENCES.map((value) => [value, named("recurrence", value)])))),
  preview, h("div", { class: "row" }, previewButton, submit));
  previewButton.addEventListener("click", async () => {
    const segment = segmentOf(card);
    if (badAmounts(card, segment)) return;
    fill(preview);
    const counted = await busy(previewButton, card, () => api.post("/v1/campaigns/audience", { store_id: storeId(), segment }));
    if (!counted) return;
    preview.dataset.audience = counted.audience_count;
    preview.dataset.withoutConsent = counted.without_consent_count ?? "";
    fill(preview, phrase("campaign_preview_counts", { audience: counted.audience_count }),
      counted.without_consent_count ? `；${phrase("campaign_preview_left_out", { left_out: counted.without_consent_count })}` : "");
  });
  card.addEventListener("input", () => { if (preview.textContent) { fill(preview); clearErrors(card); } });
  return card;
}

/** Buttons that put a placeholder (the customer's name, plate…) into the template where the cursor is; the
 * sender fills it for each customer. */
function placeholderButtons(template) {
  return h("p", { class: "row placeholders" }, h("span", { class: "hint", text: t("campaign_insert") }),
    PLACEHOLDERS.map((name) => h("button", { type: "button", class: "secondary", "data-placeholder": name,
      text: t(`placeholder_${name}`), onclick: () => {
        const at = template.selectionStart ?? template.value.length;
        template.setRangeText(`{${name}}`, at, template.selectionEnd ?? at, "end");
        template.focus();
        template.dispatchEvent(new Event("input", { bubbles: true }));
      } })));
}

async function listInto(box, ctx, reload) {
  const current = newest(box);
  let page;
  try {
    page = await api.get("/v1/campaigns", { limit: 100 });
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  if (!current()) return;
  fill(box, page.items.length ? table([
    ["campaign_name"], ["campaign_store"], ["message_channel"], ["campaign_segment"], ["campaign_send_time"],
    ["message_status"], ["campaign_audience", "num"], ["campaign_sent", "num"], ["campaign_delivered", "num"], ["campaign_failed", "num"],
    ["campaign_skipped", "num"], ["campaign_waiting", "num"], [""]],
  page.items.map((c) => h("tr", { "data-campaign": c.name, "data-status": c.status },
    h("td", { text: c.name }), h("td", { text: storeName(ctx, c.store_id) }),
    h("td", { text: named("channel", c.channel) }),
    h("td", { "data-field": "segment", text: segmentWords(c.segment ?? {}, ctx) }),
    h("td", { "data-field": "scheduled_at", class: "nowrap" }, dateTime(c.scheduled_at, zoneOf(ctx, c.store_id)),
      c.recurrence === "monthly" ? h("small", { class: "hint", text: ` ${named("recurrence", "monthly")}` }) : null),
    h("td", { "data-field": "status" }, badge(named("campaign", c.status), TONE[c.status])),
    h("td", { class: "num", "data-field": "audience_count", text: c.audience_count ?? "—" }),
    h("td", { class: "num", "data-field": "sent", text: String((c.messages?.sent ?? 0) + (c.messages?.delivered ?? 0)) }),
    h("td", { class: "num", "data-field": "delivered", title: t("campaign_delivered_hint"), text: String(c.messages?.delivered ?? 0) }),
    h("td", { class: "num", "data-field": "failed", text: String(c.messages?.failed ?? 0) }),
    h("td", { class: "num", "data-field": "skipped", title: t("campaign_skipped_hint"), text: String(c.messages?.skipped ?? 0) }),
    h("td", { class: "num", "data-field": "queued", text: String(c.messages?.queued ?? 0) }),
    h("td", {}, cancellable(c, ctx) ? cancelButton(c, reload) : "")))) : h("p", { class: "hint", text: t("no_campaigns") }),
  page.items.length ? h("p", { class: "muted", id: "campaign-rules", text: t("campaign_rules_hint") }) : null);
  const soon = Date.now() + SOON_MS;
  if (page.items.some((c) => c.status === "sending" || (c.status === "scheduled" && Date.parse(c.scheduled_at) <= soon))) {
    setTimeout(() => { if (box.isConnected) reload(); }, POLL_MS);
  }
}

const zoneOf = (ctx, storeId) => ctx.stores.find((store) => store.id === storeId)?.timezone || ctx.tz;

/** Not sent yet (or still sending), and the caller's to change: a chain-wide campaign is HQ's. */
const cancellable = (campaign, ctx) => ["scheduled", "sending"].includes(campaign.status)
  && (campaign.store_id !== null || ctx.user.sees_every_store);

function cancelButton(campaign, reload) {
  const button = h("button", { type: "button", class: "link cancel", text: t("campaign_cancel") });
  const scope = h("span", {}, button, h("span", { class: "form-error" }));
  button.addEventListener("click", async () => {
    const done = await busy(button, scope, () => api.post(`/v1/campaigns/${campaign.id}/cancel`, {}));
    if (done) { flash(phrase("campaign_cancelled_flash", { name: campaign.name })); reload(); }
  });
  return scope;
}
