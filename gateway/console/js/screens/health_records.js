// Repair health records (汽车维修电子健康档案): the manager sees every settled repair's upload: its status, and
// for a failed one the reasons in words (a missing VIN, no mileage at check-in, the store's licence number,
// the system's refusal), with a button to send it again once the data is fixed; a notice on one refunded after
// it was uploaded (the system takes no correction); past settlements of a range of days queued for upload.
// The store's category, licence number and registered name are set on the store screen (store.js); this
// screen says when the store uploads nothing. Dates in the store's time zone.
import { api } from "../api.js";
import { dateTime, localDay } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, dateInput, field, fill, flash, form, h, select, showError, table } from "../ui.js";

const POLL_MS = 2000;
const STATES = ["queued", "uploaded", "failed"];
const TONE = { uploaded: "ok", failed: "danger", queued: "warn" };
const CHECKS = ["rejected", "login_refused"];

export function render(root, ctx) {
  const status = select("status", [["", t("all_states")], ...STATES.map((s) => [s, t(`hr_status_${s}`)])]);
  const list = h("div", { id: "health-record-list" });
  const settings = h("div", { id: "health-record-settings" });
  const load = () => listInto(list, { store_id: ctx.store.id, status: status.value || undefined, limit: 100 }, ctx, load);
  status.addEventListener("change", load);
  root.append(h("h1", { text: t("hr_title") }), h("p", { class: "hint", text: t("hr_intro") }), settings,
    h("div", { class: "card" }, h("div", { class: "row" }, field("hr_status", status)), list), backfillForm(ctx, load));
  settingsInto(settings, ctx);
  load();
}

/** Whether the store uploads at all: its category (set on the store screen) is 一类/二类/三类, or it is told why not. */
async function settingsInto(box, ctx) {
  let current;
  try {
    current = await api.get(`/v1/stores/${ctx.store.id}/finance-settings`);
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  fill(box, current.uploads_health_records ? null : h("p", { class: "card notice", id: "health-record-not-uploading",
    text: phrase("hr_not_uploading", { category: current.repair_category ?? "unset" }) }));
}

/** Past settlements of a range of days with no upload yet (e.g. from before the category was set), queued once each. */
function backfillForm(ctx, reload) {
  const submit = h("button", { class: "primary", type: "submit", text: t("hr_backfill_submit") });
  const card = form({ class: "card", id: "health-record-backfill", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const read = (name) => card.querySelector(`[name=${name}]`).value.trim();
    const done = await busy(submit, card, () => api.post("/v1/health-record-uploads/backfill", {
      store_id: ctx.store.id, from: read("from"), to: read("to") }));
    if (done) { flash(phrase("hr_backfill_done", done)); reload(); }
  } },
  h("h2", { text: t("hr_backfill") }), h("p", { class: "hint", text: t("hr_backfill_hint") }),
  h("div", { class: "row" },
    field("hr_backfill_from", dateInput("from", { required: true, value: localDay(ctx.tz, -30) })),
    field("hr_backfill_to", dateInput("to", { required: true, value: localDay(ctx.tz) }))), submit);
  return card;
}

/** The reasons of a failed upload, in words: every check it failed, or the system's refusal with its words. */
function reasons(upload) {
  if (upload.status !== "failed") return "";
  const codes = upload.failure_codes?.length ? upload.failure_codes : [upload.failure_code];
  const words = codes.filter(Boolean).map((code) => t(`hr_failure_${code}`)).join("；");
  const said = CHECKS.includes(upload.failure_code) && upload.failure ? `：${upload.failure}` : "";
  return h("span", { class: "failure-reason", text: `${words}${said}` });
}

async function listInto(box, query, ctx, reload) {
  let page;
  try {
    page = await api.get("/v1/health-record-uploads", query);
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  if (!box.isConnected && box.dataset.shown) return;
  box.dataset.shown = "1";
  fill(box, page.items.length ? table([
    ["hr_settlement_no"], ["hr_plate"], ["hr_settled_at"], ["hr_status"], ["hr_reason"], ["hr_uploaded_at"],
    ["hr_notice"], [""]],
  page.items.map((u) => h("tr", { "data-upload": u.id, "data-status": u.status },
    h("td", { text: u.settlement_no }), h("td", { text: u.plate || "—" }),
    h("td", { text: dateTime(u.settled_at, ctx.tz) }),
    h("td", {}, badge(t(`hr_status_${u.status}`), TONE[u.status]),
      u.status === "queued" && u.attempts ? h("small", { class: "hint", text: ` ${t("hr_system_down")}` }) : ""),
    h("td", {}, reasons(u)),
    h("td", { text: u.uploaded_at ? dateTime(u.uploaded_at, ctx.tz) : "—" }),
    h("td", {}, u.notice ? h("span", { class: "upload-notice", text: t(`hr_notice_${u.notice}`) }) : ""),
    h("td", {}, u.status === "failed" ? retryButton(u, reload) : "")))) : h("p", { class: "hint", text: t("none") }));
  if (page.items.some((u) => u.status === "queued")) {
    setTimeout(() => { if (box.isConnected) reload(); }, POLL_MS);
  }
}

function retryButton(upload, reload) {
  const button = h("button", { type: "button", class: "link retry", text: t("hr_retry") });
  const scope = h("span", {}, button);
  button.addEventListener("click", async () => {
    const done = await busy(button, scope, () => api.post(`/v1/health-record-uploads/${upload.id}/retry`, {}));
    if (done) reload();
  });
  return scope;
}
