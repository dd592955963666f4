// 消息记录: every message crm sent (or is sending) to the store's car owners — the outbox's and campaigns' in one
// list — to whom (masked mobile), which template (营销 with the campaign's name for a campaign's), by SMS or
// WeChat, its status (when it went out or arrived) and, when it failed or waits for a retry, why.
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { named, t } from "../i18n.js";
import { badge, exportButtons, fill, h, select, table } from "../ui.js";

const STATES = ["queued", "sent", "delivered", "failed", "skipped"];
const KIND = { delivered: "ok", sent: "ok", failed: "bad", skipped: "bad", queued: "" };

export function render(root, ctx) {
  const list = h("div", { class: "card wide", id: "messages" }, h("p", { class: "hint", text: t("loading") }));
  const status = select("status", [["", t("message_all")], ...STATES.map((s) => [s, named("message", s)])]);
  const reload = () => load(ctx, list, status.value);
  status.addEventListener("change", reload);
  root.append(h("div", { class: "row" }, h("h1", { text: t("nav_messages") }), h("span", { class: "spacer" }), status,
    h("button", { type: "button", class: "secondary", "data-action": "refresh", text: t("refresh"), onclick: reload }),
    exportButtons(api, "/v1/messages", () => ({ store_id: ctx.store.id, ...(status.value ? { status: status.value } : {}) }),
      t("export_name_messages"))), list);
  reload();
}

/** One message as a row: time, `who` (a cell, or nothing on the customer's own record), template (a campaign's:
 * 营销 and its name), channel, status with when it arrived or went out, and why it failed or waits for a retry. */
export function messageRow(m, tz, who = null) {
  const done = m.delivered_at ?? m.sent_at;
  return h("tr", { "data-message": m.id, "data-status": m.status, "data-kind": m.kind },
    h("td", { class: "nowrap", text: dateTime(m.created_at, tz) }), who,
    m.kind === "campaign" ? h("td", {}, badge(named("message_kind", m.kind)), ` ${m.campaign_name ?? ""}`)
      : h("td", { text: named("template", m.template) }),
    h("td", { text: named("channel", m.channel) }),
    h("td", {}, badge(named("message", m.status), KIND[m.status]),
      done ? h("div", { class: "hint", text: dateTime(done, tz) }) : null),
    h("td", { "data-reason": "" }, m.failure_code ? named("failure", m.failure_code) : "",
      m.failure_code && m.status === "queued" ? h("div", { class: "hint", text: `${t("message_retry_at")} ${dateTime(m.next_attempt_at, tz)}` }) : null));
}

async function load(ctx, list, status) {
  try {
    const query = { store_id: ctx.store.id, limit: 100, ...(status ? { status } : {}) };
    const { items } = await api.get("/v1/messages", query);
    fill(list, items.length ? table([["message_time"], ["message_to"], ["message_template"], ["message_channel"], ["message_status"], ["message_reason"]],
      items.map((m) => messageRow(m, ctx.tz, h("td", { class: "nowrap" }, h("b", { text: m.customer_name ?? "—" }), h("div", { class: "hint", text: m.to_masked ?? "" })))))
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(list, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}
