// Workshop board: work orders as columns by status (waiting-for-parts and comebacks flagged), live: a
// card moves when the work order does, whoever moved it (live.js; polled while the stream is down);
// a card opens the step its status calls for: dispatch with split (suggested technicians
// first), QC, complete, deliver. Technicians clock in on their phone (#/tech).
import { api } from "../api.js";
import { dateTime, hours, qty } from "../format.js";
import { filesCard } from "../files.js";
import { t, worded } from "../i18n.js";
import { badge, busy, field, fill, form, h, input, newest, printButton, showError, table, values } from "../ui.js";
import { thumbnails, walkAround } from "../photos.js";
import { watch } from "../live.js";
import { vehicleOf } from "../vehicles.js";

const COLUMNS = ["open", "dispatched", "in_progress", "qc", "completed"];
const QC_CHECKS = ["qc_work_done", "qc_no_leaks", "qc_road_test", "qc_clean"];

export async function render(root, ctx) {
  const detail = h("div", { class: "card", id: "wo-detail", hidden: true });
  const boardEl = h("div", { class: "board", id: "board" });
  const reload = () => loadBoard(boardEl, detail, ctx, reload);
  root.append(h("div", { class: "row" }, h("h1", { text: t("nav_board") }), h("span", { class: "spacer" }),
    h("button", { class: "secondary", type: "button", text: t("refresh"), onclick: reload })), detail, boardEl);
  reload();
  watch(boardEl, ["workshop.", "sales.order_"], () => loadBoard(boardEl, detail, ctx, reload));
}

async function loadBoard(boardEl, detail, ctx, reload) {
  const current = newest(boardEl);
  let lists;
  try {
    lists = await Promise.all(COLUMNS.map((status) => api.get("/v1/work-orders", { store_id: ctx.store.id, status, limit: 50 })));
  } catch (error) {
    if (!current()) return;
    fill(boardEl, h("div", { class: "form-error" }));
    showError(boardEl, error);
    return;
  }
  if (!current()) return;
  fill(boardEl, ...COLUMNS.map((status, i) => h("div", { class: "column", "data-status": status },
    h("h2", { text: `${t(`wo_${status}`)} (${lists[i].items.length})` }),
    lists[i].items.map((wo) => card(wo, ctx, () => openDetail(detail, wo.id, ctx, reload))))));
}

function card(wo, ctx, open) {
  const plate = h("b", { class: "plate" });
  vehicleOf(wo.vehicle_id).then((vehicle) => { plate.textContent = vehicle?.plate ?? ""; });
  return h("div", { class: `wo${wo.waiting_parts ? " waiting" : ""}${wo.comeback ? " comeback" : ""}`, "data-wo": wo.id, onclick: open },
    h("div", {}, plate, ` ${wo.order_number ?? ""}`),
    h("div", { class: "hint", text: wo.jobs.map((j) => j.description).join("、") }),
    h("div", {}, wo.waiting_parts ? badge(t("waiting_parts"), "warn") : "", wo.comeback ? badge(t("comeback"), "bad") : "",
      wo.overdue ? badge(t("overdue"), "bad") : "", wo.rework_count ? badge(`${t("rework")} ${wo.rework_count}`, "warn") : ""),
    wo.promised_at ? h("div", { class: "hint", text: `${t("promised")} ${dateTime(wo.promised_at, ctx.tz)}` }) : null);
}

async function openDetail(detail, workOrderId, ctx, reload) {
  detail.hidden = false;
  fill(detail, h("p", { class: "hint", text: t("loading") }));
  let wo;
  try {
    wo = await api.get(`/v1/work-orders/${workOrderId}`);
  } catch (error) {
    detail.append(h("div", { class: "form-error" }));
    return showError(detail, error);
  }
  const done = (next) => { reload(); openDetail(detail, next?.id ?? workOrderId, ctx, reload); };
  const plate = (await vehicleOf(wo.vehicle_id))?.plate ?? "";
  fill(detail,
    h("div", { class: "row" }, h("h2", { text: `${plate} · ${wo.order_number ?? ""}` }), badge(t(`wo_${wo.status}`), "ok"),
      wo.waiting_parts ? badge(t("waiting_parts"), "warn") : "", h("span", { class: "spacer" }),
      printButton(api, `/v1/work-orders/${wo.id}/pdf`),
      h("button", { type: "button", class: "link", text: t("close"), onclick: () => { detail.hidden = true; } })),
    table([["job"], ["technicians"], ["clocked", "num"], ["state"]], wo.jobs.map((job) => h("tr", {},
      h("td", { text: job.description }),
      h("td", { text: job.technicians.map((a) => `${a.name} ${qty(a.split_pct)}%`).join("、") || "—" }),
      h("td", { class: "num", text: hours(job.clocked_hours) }),
      h("td", {}, badge(t(`job_${job.status}`)), job.clocked_in.map((c) => badge(`⏱ ${c.name}`, "ok")))))),
    findingsCard(wo),
    filesCard(`/v1/work-orders/${wo.id}/attachments`, ctx),
    ...stepFor(wo, ctx, done));
}

const CONDITION_BADGE = { red: "bad", yellow: "warn" };

/** The technicians' red and yellow findings with their photos (QC and the advisor see them); those not quoted yet become a new quote for the same
 * visit in one click (its notes list them; the advisor prices the work there). */
function findingsCard(wo) {
  const box = h("div", { id: "findings" });
  api.get(`/v1/work-orders/${wo.id}/inspections`).then((page) => {
    const found = page.items.flatMap((inspection) => inspection.findings).filter((f) => f.condition in CONDITION_BADGE);
    if (!found.length) return;
    const quote = h("button", { type: "button", class: "secondary", text: t("quote_findings") });
    quote.addEventListener("click", async () => {
      const made = await busy(quote, box, () => api.post(`/v1/work-orders/${wo.id}/inspections/quote`, {}));
      if (made) location.hash = `#/quotes/${made.id}`;
    });
    fill(box, h("h3", { text: t("findings") }),
      h("ul", { class: "list" }, found.map((f) => h("li", { "data-finding": f.id }, badge(t(`cond_${f.condition}`), CONDITION_BADGE[f.condition]),
        ` ${t(`area_${f.area}`)} · ${f.item}${f.notes ? ` · ${f.notes}` : ""} `, f.quote_id ? badge(t("finding_quoted"), "ok") : "",
        f.photos?.length ? thumbnails(f.photos) : null))),
      found.some((f) => !f.quote_id) ? quote : "", h("div", { class: "form-error" }));
  }).catch(() => {});
  return box;
}

function stepFor(wo, ctx, done) {
  if (["open", "dispatched"].includes(wo.status)) return [dispatchForm(wo, ctx, done)];
  if (wo.status === "qc") return [wo.qc_passed ? completeForm(wo, done) : qcForm(wo, done)];
  if (wo.status === "completed") return [deliveryWalkAround(wo), deliverForm(wo, ctx, done)];
  if (wo.status === "in_progress") return [h("p", { class: "hint", text: t("wo_waiting_on_technicians") })];
  return [];
}

function dispatchForm(wo, ctx, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("dispatch") });
  const dispatch = form({ id: "dispatch-form", onsubmit: async (event) => {
    event.preventDefault();
    const jobs = wo.jobs.map((job) => ({ job_id: job.id, technicians: [...dispatch.querySelectorAll(`[data-job="${job.id}"] [name=tech]:checked`)]
      .map((box) => {
        const pct = box.closest("tr").querySelector("[name=split_pct]").value;
        return { technician_id: box.value, ...(pct ? { split_pct: Number(pct) } : {}) };
      }) })).filter((job) => job.technicians.length);
    const next = await busy(submit, dispatch, () => api.post(`/v1/work-orders/${wo.id}/dispatch`, { jobs, expected_version: wo.version }));
    if (next) done(next);
  } }, h("h2", { text: t("dispatch") }), h("div", { "data-field": "jobs" }, h("small", { class: "field-error" })));
  Promise.all([api.get("/v1/technicians", { store_id: ctx.store.id, active: true, limit: 200 }).catch(() => ({ items: [] })),
    ...wo.jobs.map((job) => api.get(`/v1/work-orders/${wo.id}/jobs/${job.id}/suggestions`).catch(() => ({ items: [] })))])
    .then(([crew, ...suggestions]) => {
      const blocks = wo.jobs.map((job, i) => {
        const suggested = suggestions[i].items;
        const others = crew.items.filter((tech) => !suggested.some((s) => s.technician_id === tech.id))
          .map((tech) => ({ technician_id: tech.id, name: tech.name, skills: tech.skills, load_hours: null }));
        const assigned = Object.fromEntries(job.technicians.map((a) => [a.technician_id, a.split_pct]));
        return h("div", { "data-job": job.id }, h("h3", { text: `${job.description}${job.skill ? ` · ${worded(`skill_${job.skill}`) ?? job.skill}` : ""}` }),
          table([[""], ["technician"], ["load"], ["split_pct"]], [...suggested.map((s) => ({ ...s, suggested: true })), ...others].map((tech) =>
            h("tr", { "data-tech": tech.technician_id },
              h("td", {}, input("tech", { type: "checkbox", value: tech.technician_id, checked: tech.technician_id in assigned })),
              h("td", {}, tech.name, tech.suggested ? badge(`★ ${t("suggested")}`, "ok") : ""),
              h("td", { text: tech.load_hours === null ? "" : hours(tech.load_hours) }),
              h("td", {}, input("split_pct", { type: "number", min: 0, max: 100, style: "width:5rem", value: assigned[tech.technician_id] ?? "" }))))));
      });
      dispatch.querySelector("[data-field=jobs]").before(...blocks);
    });
  dispatch.append(h("p", { class: "hint", text: t("split_hint") }), submit);
  return dispatch;
}

function qcForm(wo, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("record_qc") });
  const qc = form({ id: "qc-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(qc);
    const checklist = QC_CHECKS.map((item) => ({ item: t(item), passed: qc.querySelector(`[name="${item}"]`).checked }));
    const passed = v.result === "pass";
    const next = await busy(submit, qc, () => api.post(`/v1/work-orders/${wo.id}/qc`, { passed, checklist,
      ...(passed ? {} : { reasons: v.reasons.split(/[;；\n]/).map((r) => r.trim()).filter(Boolean),
        rework_job_ids: [...qc.querySelectorAll("[name=rework]:checked")].map((c) => c.value) }) }));
    if (next) done(next);
  } },
  h("h2", { text: t("qc") }),
  QC_CHECKS.map((item) => h("label", { style: "display:block" }, input(item, { type: "checkbox", checked: true }), ` ${t(item)}`)),
  h("div", { class: "row" },
    h("label", {}, input("result", { type: "radio", value: "pass", checked: true }), ` ${t("qc_pass")}`),
    h("label", {}, input("result", { type: "radio", value: "fail" }), ` ${t("qc_fail")}`)),
  field("reasons", input("reasons", { placeholder: t("reasons_hint") })),
  h("div", { "data-field": "rework_job_ids" }, wo.jobs.map((job) => h("label", { style: "display:block" },
    input("rework", { type: "checkbox", value: job.id }), ` ${t("rework")}: ${job.description}`)), h("small", { class: "field-error" })),
  submit);
  return qc;
}

function completeForm(wo, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("complete") });
  const rows = wo.jobs.flatMap((job) => job.technicians.map((a) => h("tr", { "data-job": job.id, "data-tech": a.technician_id },
    h("td", { text: job.description }), h("td", { text: a.name }),
    h("td", {}, input("hours", { type: "number", step: "0.01", min: 0, style: "width:6rem", value: qty(a.clocked_hours) })))));
  const complete = form({ id: "complete-form", onsubmit: async (event) => {
    event.preventDefault();
    const labour = rows.map((row) => ({ job_id: row.dataset.job, technician_id: row.dataset.tech, hours: Number(row.querySelector("input").value) }));
    const next = await busy(submit, complete, () => api.post(`/v1/work-orders/${wo.id}/complete`, { labour }));
    if (next) done(next);
  } },
  h("h2", { text: t("complete") }), h("p", { class: "hint", text: t("actual_hours_hint") }),
  h("div", { "data-field": "labour" }, table([["job"], ["technician"], ["hours"]], rows), h("small", { class: "field-error" })), submit);
  return complete;
}

/** The walk-around again as the car is handed back: the same positions, the check-in photos beside. */
function deliveryWalkAround(wo) {
  const box = h("div", { id: "delivery-walk-around" });
  if (wo.visit_id) {
    api.get(`/v1/visits/${wo.visit_id}`).then((visit) => fill(box, walkAround(visit, "delivery")))
      .catch((error) => { fill(box, h("div", { class: "form-error" })); showError(box, error); });
  }
  return box;
}

/** Delivery: the service refuses a car with an open balance (code delivery_balance_open); a store
 * manager or HQ may release it anyway with a reason, which is audited. */
function deliverForm(wo, ctx, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("deliver") });
  const mayOverride = ctx.user.manages;
  const override = field("override_reason", input("override_reason", { placeholder: t("override_reason_hint") }));
  override.hidden = true;
  const deliver = form({ id: "deliver-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(deliver);
    const next = await busy(submit, deliver, () => api.post(`/v1/work-orders/${wo.id}/deliver`, {
      mileage_out_km: v.mileage_out_km === "" ? undefined : Number(v.mileage_out_km), accepted_by: v.accepted_by,
      satisfied: v.satisfied === "yes", ...(v.comment ? { comment: v.comment } : {}),
      ...(mayOverride && v.override_reason ? { override_reason: v.override_reason } : {}) }));
    if (next) done(next);
    else if (mayOverride && deliver.querySelector(".form-error").dataset.code === "delivery_balance_open") override.hidden = false;
  } },
  h("h2", { text: t("deliver") }),
  h("div", { class: "row" }, field("mileage_out_km", input("mileage_out_km", { type: "number", min: 0 })),
    field("accepted_by", input("accepted_by", { required: true }))),
  h("div", { class: "row" },
    h("label", {}, input("satisfied", { type: "radio", value: "yes", checked: true }), ` ${t("satisfied")}`),
    h("label", {}, input("satisfied", { type: "radio", value: "no" }), ` ${t("not_satisfied")}`)),
  field("comment", input("comment")), ...(mayOverride ? [override] : []), submit);
  return deliver;
}
