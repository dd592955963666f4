// Repair health records (汽车维修电子健康档案): the manager sets the store's licence (or filing) number and
// registered name the uploads log in with, and sees every settled repair's upload: its status, and for a
// failed one the reasons in words (a missing VIN, no mileage at check-in, the system's refusal), with a
// button to send it again once the data is fixed. Dates in the store's time zone.
import { api } from "../api.js";
import { dateTime } from "../format.js";
import { t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, select, showError, table } from "../ui.js";

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
    h("div", { class: "card" }, h("div", { class: "row" }, field("hr_status", status)), list));
  settingsInto(settings, ctx);
  load();
}

async function settingsInto(box, ctx) {
  let current;
  try {
    current = await api.get(`/v1/stores/${ctx.store.id}/finance-settings`);
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  const submit = h("button", { class: "primary", type: "submit", text: t("save") });
  const card = form({ class: "card", id: "health-record-settings-form", onsubmit: async (event) => {
    event.preventDefault();
    const read = (name) => card.querySelector(`[name=${name}]`).value.trim() || null;
    const saved = await busy(submit, card, () => api.patch(`/v1/stores/${ctx.store.id}/finance-settings`, {
      repair_licence_no: read("repair_licence_no"), repair_company_name: read("repair_company_name") }));
    if (saved) flash(t("saved"));
  } },
  h("h2", { text: t("hr_settings") }),
  h("div", { class: "row" },
    field("hr_licence_no", input("repair_licence_no", { maxlength: 40, value: current.repair_licence_no ?? "" })),
    field("hr_company_name", input("repair_company_name", { maxlength: 100, value: current.repair_company_name ?? "" }))),
  h("p", { class: "hint", text: t("hr_settings_hint") }), submit);
  fill(box, card);
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
    ["hr_settlement_no"], ["hr_plate"], ["hr_settled_at"], ["hr_status"], ["hr_reason"], ["hr_uploaded_at"], [""]],
  page.items.map((u) => h("tr", { "data-upload": u.id, "data-status": u.status },
    h("td", { text: u.settlement_no }), h("td", { text: u.plate || "—" }),
    h("td", { text: dateTime(u.settled_at, ctx.tz) }),
    h("td", {}, badge(t(`hr_status_${u.status}`), TONE[u.status]),
      u.status === "queued" && u.attempts ? h("small", { class: "hint", text: ` ${t("hr_system_down")}` }) : ""),
    h("td", {}, reasons(u)),
    h("td", { text: u.uploaded_at ? dateTime(u.uploaded_at, ctx.tz) : "—" }),
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
