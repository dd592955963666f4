// Technician (phone): my jobs, clock in/out, send to QC, and inspection findings with
// condition colours (green / yellow / red). Live: a job dispatched to them, or a work order moved by someone
// else, shows without a refresh (live.js) — but not while they are filling in findings (the list is redrawn
// when they close or save them).
import { api } from "../api.js";
import { dateTime, hours, qty } from "../format.js";
import { errorWords, t } from "../i18n.js";
import { badge, busy, field, filePicker, flash, fill, form, h, input, select } from "../ui.js";
import { thumbnails } from "../photos.js";
import { watch } from "../live.js";
import { vehicleOf } from "../vehicles.js";

const AREAS = ["brakes", "tyres", "fluids", "battery", "lights", "suspension", "engine", "exterior", "interior", "other"];

export async function render(root, ctx) {
  const list = h("div", { id: "my-jobs" });
  let stale = false;
  const inspecting = () => list.querySelector("form.inspection") !== null;
  const reload = async () => {
    try {
      const board = await api.get("/v1/technicians/me/jobs");
      // an inspection opened while the answer came (after a clock-in, a live change, 刷新) is never redrawn away
      // with what was typed in it: the list is redrawn when it closes
      if (inspecting()) { stale = true; return; }
      // what was just recorded (an inspection and its photos) stays on its card through the redraw
      const saved = [...list.querySelectorAll("[data-wo] .inspection.saved")].map((n) => [n.closest("[data-wo]").dataset.wo, n]);
      fill(list, board.items.length ? "" : h("p", { class: "hint", text: t("no_jobs") }),
        ...groupByWorkOrder(board.items).map(([first, jobs]) => workOrderCard(first, jobs, ctx, reload)));
      for (const [workOrder, notice] of saved) {
        list.querySelector(`[data-wo="${workOrder}"] button[name=inspect]`)?.replaceWith(notice);
      }
    } catch (error) {
      const unlinked = error.status === 404 || error.code === "account_not_a_technician";
      fill(list, unlinked && ctx.user.screens.includes("technicians")
        // a manager stands in for a technician once their account is linked to a technician's record (on 技师)
        ? h("p", { class: "hint" }, t("manager_not_a_technician"), " ", h("a", { href: "#/technicians", text: t("nav_technicians") }))
        : h("div", { class: "form-error", text: unlinked ? t("not_a_technician") : errorWords(error) ?? error.message }));
    }
  };
  watch(list, ["workshop."], () => {
    stale = inspecting();
    if (!stale) reload();
  });
  list.addEventListener("inspection-closed", () => { if (stale) { stale = false; reload(); } });
  root.append(h("div", { class: "row" }, h("h1", { text: t("nav_tech") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "secondary", text: t("refresh"), onclick: () => reload() })), list);
  reload();
}

function groupByWorkOrder(items) {
  const groups = new Map();
  for (const item of items) groups.set(item.work_order_id, [...(groups.get(item.work_order_id) || []), item]);
  return [...groups.values()].map((jobs) => [jobs[0], jobs]);
}

function workOrderCard(first, jobs, ctx, reload) {
  const plate = h("b", { class: "plate" });
  const model = h("span", { class: "hint" });
  vehicleOf(first.vehicle_id).then((vehicle) => {
    plate.textContent = vehicle?.plate ?? "";
    model.textContent = [vehicle?.make, vehicle?.model].filter(Boolean).join(" ");
  });
  const card = h("div", { class: "card", "data-wo": first.work_order_id },
    h("h2", {}, plate, ` ${first.order_number ?? ""} `, badge(t(`wo_${first.work_order_status}`), "ok"),
      first.waiting_parts ? badge(t("waiting_parts"), "warn") : ""),
    h("p", { class: "car" }, model),
    first.promised_at ? h("p", { class: "hint", text: `${t("promised")} ${dateTime(first.promised_at, ctx.tz)}` }) : null,
    jobs.map((job) => jobRow(job, ctx, reload)),
    h("div", { class: "form-error" }));
  const toQc = h("button", { type: "button", class: "secondary", text: t("ready_for_qc") });
  toQc.addEventListener("click", async () => {
    if (await busy(toQc, card, () => api.post(`/v1/work-orders/${first.work_order_id}/ready-for-qc`, {}))) {
      flash(`${first.order_number ?? ""} ${t("sent_to_qc")}`);
      reload();
    }
  });
  const inspect = h("button", { type: "button", name: "inspect", class: "secondary", text: t("inspection") });
  inspect.addEventListener("click", () => inspect.replaceWith(inspectionForm(first.work_order_id)));
  card.append(h("div", { class: "row" }, toQc, inspect));
  return card;
}

function jobRow(job, ctx, reload) {
  const row = h("div", { class: "job", "data-job": job.job_id },
    h("p", {}, h("b", { text: job.description }), ` · ${qty(job.split_pct)}% · ${hours(job.clocked_hours)}`),
    job.clocked_in_since ? h("p", { class: "ok-text", text: `${t("clocked_in_since")} ${dateTime(job.clocked_in_since, ctx.tz)}` }) : null);
  const path = `/v1/work-orders/${job.work_order_id}/jobs/${job.job_id}`;
  if (job.clocked_in_since) {
    const finished = input("job_finished", { type: "checkbox" });
    const out = h("button", { type: "button", class: "primary", text: t("clock_out") });
    out.addEventListener("click", async () => {
      if (await busy(out, row, () => api.post(`${path}/clock-out`, { job_finished: finished.checked }))) reload();
    });
    row.append(h("label", {}, finished, ` ${t("job_finished")}`), out);
  } else {
    const clockIn = h("button", { type: "button", class: "primary", text: t("clock_in") });
    clockIn.addEventListener("click", async () => {
      if (await busy(clockIn, row, () => api.post(`${path}/clock-in`, {}))) reload();
    });
    row.append(clockIn);
  }
  row.append(h("div", { class: "form-error" }));
  return row;
}

function findingRow(index) {
  const name = (field_) => `findings.${index}.${field_}`;
  const colours = h("span", { class: "cond" }, ["green", "yellow", "red"].map((c) => h("label", { class: c },
    input(name("condition"), { type: "radio", value: c, checked: c === "green" }), h("span", { text: t(`cond_${c}`) }))));
  return h("div", { class: "finding", "data-index": index },
    h("div", { class: "row" },
      field("area", select(name("area"), AREAS.map((a) => [a, t(`area_${a}`)]))),
      field("item", input(name("item"), { required: true }))),
    h("div", { class: "field", "data-field": name("condition") }, colours, h("small", { class: "field-error" })),
    field("notes", input(name("notes"))),
    field("photos", filePicker(input(name("photos"), { type: "file", accept: "image/*,video/mp4",
      capture: "environment", multiple: true }))));
}

/** The inspection; once saved it stays on the card as what was recorded, with the photos' thumbnails. */
function inspectionForm(workOrderId) {
  const rows = h("div", {}, findingRow(0));
  const more = h("button", { type: "button", class: "secondary", text: t("add_finding"),
    onclick: () => rows.append(findingRow(rows.children.length)) });
  const submit = h("button", { type: "submit", class: "primary", text: t("save_inspection") });
  let saved = null; // a retry after a failed photo uploads only what is missing, never a second inspection
  const uploaded = new Map(); // file → attachment
  const inspection = form({ class: "inspection", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(inspection);
    const findings = [...rows.children].map((_, i) => ({
      area: data.get(`findings.${i}.area`), item: data.get(`findings.${i}.item`), condition: data.get(`findings.${i}.condition`),
      ...(data.get(`findings.${i}.notes`) ? { notes: data.get(`findings.${i}.notes`) } : {}) }));
    const mileage = data.get("mileage_km");
    const done = await busy(submit, inspection, async () => {
      saved ??= await api.post(`/v1/work-orders/${workOrderId}/inspections`, {
        findings, ...(mileage ? { mileage_km: Number(mileage) } : {}) });
      for (const [i, finding] of saved.findings.entries()) {
        for (const file of inspection.querySelector(`[name="findings.${i}.photos"]`).files) {
          if (!uploaded.has(file)) {
            uploaded.set(file, await api.upload(`/v1/work-orders/${workOrderId}/inspections/${finding.id}/photos`, file));
          }
        }
      }
      return saved;
    });
    if (done) {
      const photos = [...uploaded.values()];
      const notice = h("div", { class: "inspection saved" },
        h("p", { class: "ok-text", text: `${t("inspection_saved")} · ${photos.length} ${t("photos")}` }), thumbnails(photos));
      inspection.replaceWith(notice);
      notice.dispatchEvent(new Event("inspection-closed", { bubbles: true })); // the list redraws if it missed a change
    }
  } },
  h("h2", { text: t("inspection") }), field("mileage_km", input("mileage_km", { type: "number", min: 0 })), rows, more, submit);
  return inspection;
}
