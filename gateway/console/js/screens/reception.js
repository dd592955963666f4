// Advisor · reception: the day's appointments (booked at the counter or by the owner on the phone; 接车 checks
// the booked car in against its appointment), find the customer (plate, phone or name) or register customer and
// car in one form, then check the car in, walk around it with the camera (damage marked) and open its quote.
// Declined work and due reminders on the side.
import { api } from "../api.js";
import { dateTime, date, localDay, toFen, yuan } from "../format.js";
import { t } from "../i18n.js";
import { badge, busy, dateInput, field, fill, form, h, input, select, showError, steps, table, values } from "../ui.js";
import { mobileProblem, normalizePlate, plateProblem, vinProblem } from "../validate.js";
import { walkAround } from "../photos.js";

// where a new customer heard of the store (crm SOURCES), reported on the dashboard (客户来源)
const SOURCES = ["walk_in", "referral", "online", "phone", "partner", "campaign", "other"];

const NEEDS = ["maintenance", "repair", "inspection", "tyres", "car_care"];

export function render(root, ctx) {
  const picked = h("div", { class: "card", id: "picked" }, h("p", { class: "hint", text: t("pick_customer_hint") }));
  const results = h("ul", { class: "list", id: "results" });
  const booked = appointmentsCard(ctx, (appointment) => choose(appointment.customer_id, appointment.vehicle_id, appointment));
  const choose = (customerId, vehicleId, appointment = null) => showCustomer(picked, ctx, customerId, vehicleId,
    appointment, booked.reload);
  root.append(
    h("h1", { text: t("nav_reception") }),
    h("div", { class: "grid" },
      h("div", {}, booked.element, searchCard(results, choose), newCustomerCard(choose, ctx)),
      picked));
}

/** The store's appointments of a day (today first), in slot order, with the customer's name and the car's plate;
 * a booked one's 接车 opens its customer and car with the check-in form bound to the appointment. */
function appointmentsCard(ctx, arrive) {
  const list = h("div", { id: "appointments-list" });
  const day = dateInput("day", { value: localDay(ctx.tz) });
  let shownDay = null;
  const load = async () => {
    const asked = day.value;
    shownDay = asked;
    fill(list, h("p", { class: "hint", text: t("loading") }));
    try {
      const page = await api.get("/v1/appointments", { store_id: ctx.store.id, date: asked, limit: 100 });
      const shown = page.items.filter((a) => a.state !== "cancelled");
      const ids = [...new Set(shown.map((a) => a.customer_id))];
      const customers = new Map(ids.length
        ? (await api.get("/v1/customers", { ids: ids.join(","), limit: 100 })).items.map((c) => [c.id, c]) : []);
      if (asked !== day.value) return; // another day was picked meanwhile: its list is shown
      fill(list, shown.length ? table([["slot_time"], ["customer"], ["plate"], ["state"], [""]], shown.map((a) => {
        const customer = customers.get(a.customer_id);
        const plate = customer?.vehicles.find((v) => v.id === a.vehicle_id)?.plate ?? "";
        return h("tr", { "data-appointment": a.id },
          h("td", { text: dateTime(a.slot_start, ctx.tz).slice(11) }),
          h("td", { text: customer?.name ?? "" }), h("td", { text: plate }),
          h("td", {}, badge(t(`appointment_${a.state}`), a.state === "arrived" ? "ok" : "")),
          h("td", {}, a.state === "booked"
            ? h("button", { type: "button", class: "secondary", text: t("arrive"), onclick: () => arrive(a) }) : ""));
      })) : h("p", { class: "hint", text: t("no_appointments") }));
    } catch (error) {
      if (asked !== day.value) return;
      fill(list, h("div", { class: "form-error" }));
      showError(list, error);
    }
  };
  // a typed day changes once (leaving the field after a change fires it again: the list is not drawn twice,
  // which would take the row from under a click)
  day.addEventListener("change", () => { if (day.value !== shownDay) load(); });
  load();
  return { reload: load, element: h("div", { class: "card", id: "appointments" },
    h("div", { class: "row" }, h("h2", { text: t("appointments") }), h("span", { class: "spacer" }),
      h("label", { class: "field" }, h("span", { text: t("appointment_day") }), day)), list) };
}

export function searchCard(results, choose) {
  const submit = h("button", { class: "primary", type: "submit", text: t("search") });
  const searchForm = form({ onsubmit: async (event) => {
    event.preventDefault();
    // any part of a plate, a mobile number or a name: crm looks a whole one up as such; the last
    // search's rows go at once, so a slow or failed search never shows them as this one's answer
    fill(results, h("li", { class: "hint", text: t("loading") }));
    const page = await busy(submit, searchForm, () => api.get("/v1/customers", { q: searchForm.q.value.trim(), limit: 20 }));
    if (!page) { fill(results); return; }
    fill(results, ...(page.items.length ? page.items.map((c) => h("li", {
      "data-customer": c.id, onclick: () => choose(c.id),
    }, h("b", { text: c.name }), ` · ${c.mobile ?? ""} · `, (c.vehicles || []).map((v) => v.plate).join(" ")))
      : [h("li", { class: "hint", text: t("nothing_found") })]));
  } },
  h("h2", { text: t("find_customer") }),
  h("div", { class: "row" }, field("search_hint", input("q", { required: true, placeholder: "A123 / 5678 / 张" })), submit));
  return h("div", { class: "card" }, searchForm, results);
}

function liveCheck(control, problem) {
  control.addEventListener("input", () => {
    const slot = control.closest(".field");
    const key = control.value ? problem(control.value) : null;
    slot.classList.toggle("invalid", Boolean(key));
    slot.querySelector(".field-error").textContent = key ? t(key) : "";
  });
  return control;
}

function newCustomerCard(choose, ctx) {
  const progress = steps(["step_customer", "step_vehicle"]);
  const submit = h("button", { class: "primary", type: "submit", text: t("register") });
  let registered = false; // the steps of the last registration stay ticked until the next one starts
  const newForm = form({ id: "new-customer", onsubmit: async (event) => {
    event.preventDefault();
    if (registered) progress.reset();
    registered = false;
    const v = values(newForm);
    const created = await busy(submit, newForm, async () => {
      const customer = await progress.run("step_customer", () => api.post("/v1/customers", {
        name: v.name.trim(), mobile: v.mobile.trim(), marketing_consent: Boolean(v.marketing_consent),
        ...(v.source ? { source: v.source } : {}), ...(ctx.store ? { home_store_id: ctx.store.id } : {}) }));
      const vehicle = await progress.run("step_vehicle", () => api.post(`/v1/customers/${customer.id}/vehicles`, {
        plate: normalizePlate(v.plate), ...(v.vin ? { vin: v.vin.trim().toUpperCase() } : {}),
        ...(v.make ? { make: v.make } : {}), ...(v.model ? { model: v.model } : {}),
        ...(v.mileage_km ? { mileage_km: Number(v.mileage_km) } : {}) }));
      return { customer, vehicle };
    });
    if (created) {
      registered = true;
      newForm.reset();
      choose(created.customer.id, created.vehicle.id);
    }
  } },
  h("h2", { text: t("new_customer") }),
  h("div", { class: "row" },
    field("name", input("name", { required: true })),
    field("mobile", liveCheck(input("mobile", { inputmode: "tel", required: true }), mobileProblem)),
    field("customer_source", select("source", [["", t("customer_source_unrecorded")],
      ...SOURCES.map((source) => [source, t(`customer_source_${source}`)])]))),
  h("div", { class: "row" },
    field("plate", liveCheck(input("plate", { required: true, placeholder: "粤A12345" }), plateProblem)),
    field("vin", liveCheck(input("vin", { maxlength: 17 }), vinProblem))),
  h("div", { class: "row" },
    field("make", input("make")), field("model", input("model")),
    field("mileage_km", input("mileage_km", { type: "number", min: 0 }))),
  h("label", {}, input("marketing_consent", { type: "checkbox", value: "1" }), ` ${t("marketing_consent")}`),
  progress.element, submit);
  return h("div", { class: "card" }, newForm);
}

async function showCustomer(panel, ctx, customerId, vehicleId, appointment = null, checkedIn = () => {}) {
  fill(panel, h("p", { class: "hint", text: t("loading") }));
  let customer;
  try {
    customer = await api.get(`/v1/customers/${customerId}`);
  } catch (error) {
    showError(panel, error);
    return;
  }
  const side = h("div", { id: "vehicle-notes" });
  const checkIn = h("div", { id: "check-in" });
  const pick = (vehicle) => {
    panel.querySelectorAll("[data-vehicle]").forEach((li) => li.classList.toggle("selected", li.dataset.vehicle === vehicle.id));
    // the appointment goes with its own car (or, booked without one, with any of the customer's)
    const booked = appointment && (!appointment.vehicle_id || appointment.vehicle_id === vehicle.id) ? appointment : null;
    fill(checkIn, checkInForm(ctx, customer, vehicle, booked, checkedIn));
    vehicleNotes(side, ctx, customer, vehicle);
  };
  fill(panel,
    h("h2", { text: `${customer.name} · ${customer.mobile ?? ""}` }),
    h("p", {}, badge(t(`tier_${customer.tier}`)), ` ${t("points")}: ${customer.points ?? 0}`),
    h("ul", { class: "list" }, customer.vehicles.map((v) => h("li", { "data-vehicle": v.id, onclick: () => pick(v) },
      h("b", { text: v.plate }), ` ${v.make ?? ""} ${v.model ?? ""} · ${v.mileage_km ?? "—"} km`))),
    checkIn, side);
  const first = customer.vehicles.find((v) => v.id === vehicleId) || customer.vehicles[0];
  if (first) pick(first);
}

async function vehicleNotes(side, ctx, customer, vehicle) {
  fill(side, );
  const [declined, reminders] = await Promise.all([
    api.get("/v1/declined-work", { vehicle_id: vehicle.id, status: "open" }).catch(() => ({ items: [] })),
    api.get("/v1/reminders", { store_id: ctx.store.id, customer_id: customer.id }).catch(() => ({ items: [] })),
  ]);
  const due = reminders.items.filter((r) => r.vehicle_id === vehicle.id);
  side.append(
    h("h2", { text: t("declined_work") }),
    declined.items.length ? h("ul", { class: "list", id: "declined" }, declined.items.map((d) =>
      h("li", {}, `${d.description} · ${yuan(d.total_fen)} · ${date(d.declined_at, ctx.tz)}`)))
      : h("p", { class: "hint", text: t("none") }),
    h("h2", { text: t("reminders_due") }),
    due.length ? h("ul", { class: "list", id: "reminders" }, due.map((r) =>
      h("li", {}, `${r.service_name || r.service_type} · ${t("due")} ${r.due_on ?? "—"}${r.due_km ? ` / ${r.due_km} km` : ""}`)))
      : h("p", { class: "hint", text: t("none") }));
}

function checkInForm(ctx, customer, vehicle, appointment, checkedIn) {
  const submit = h("button", { class: "primary", type: "submit", text: t("check_in") });
  const done = h("div", { id: "visit-done" });
  const checkIn = form({ id: "check-in-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = values(checkIn);
    const needs = [...checkIn.querySelectorAll("[name=need]:checked")].map((c) => c.value);
    if (v.other_needs.trim()) needs.push(...v.other_needs.split(/[,，、]/).map((s) => s.trim()).filter(Boolean));
    const budget = v.budget_yuan ? toFen(v.budget_yuan) : undefined;
    if (Number.isNaN(budget)) return showError(checkIn, { message: t("fix_fields"), fields: { budget_fen: [t("amount_invalid")] } });
    const visit = await busy(submit, checkIn, () => api.post("/v1/visits", {
      store_id: ctx.store.id, customer_id: customer.id, vehicle_id: vehicle.id, needs,
      ...(appointment ? { appointment_id: appointment.id } : {}),
      ...(v.mileage_km ? { mileage_km: Number(v.mileage_km) } : {}),
      ...(budget !== undefined ? { budget_fen: budget } : {}), ...(v.notes ? { notes: v.notes } : {}) }));
    if (visit) {
      fill(done, visitDone(visit, ctx));
      if (appointment) checkedIn();
    }
  } },
  h("h2", { text: `${t("check_in")} · ${vehicle.plate}` }),
  appointment ? h("p", { class: "hint", id: "check-in-appointment",
    text: `${t("booked_for")} ${dateTime(appointment.slot_start, ctx.tz)}` }) : null,
  h("div", { class: "row" },
    field("mileage_km", input("mileage_km", { type: "number", min: 0, value: vehicle.mileage_km ?? "" })),
    field("budget_yuan", input("budget_yuan", { inputmode: "decimal", "data-field": "budget_fen" }))),
  h("div", { class: "field", "data-field": "needs" }, h("span", { text: t("needs") }),
    h("div", { class: "row" }, NEEDS.map((need) => h("label", {}, input("need", { type: "checkbox", value: need }), ` ${t(`need_${need}`)}`))),
    input("other_needs", { placeholder: t("other_needs") }), h("small", { class: "field-error" })),
  field("notes", h("textarea", { name: "notes", rows: 2 })),
  submit);
  // the budget control reports the API's budget_fen errors
  checkIn.querySelector("[name=budget_yuan]").closest(".field").dataset.field = "budget_fen";
  return h("div", {}, checkIn, done);
}

function visitDone(visit, ctx) {
  const open = h("button", { class: "primary", type: "button", text: t("open_quote") });
  const box = h("div", { class: "card", "data-visit": visit.id },
    h("p", { class: "ok-text", text: `${t("checked_in_at")} ${dateTime(visit.checked_in_at, ctx.tz)} · ${visit.plate ?? ""}` }),
    walkAround(visit, "check_in"), open, h("div", { class: "form-error" }));
  open.addEventListener("click", async () => {
    const quote = await busy(open, box, () => api.post("/v1/quotes", { visit_id: visit.id }));
    if (quote) location.hash = `#/quotes/${quote.id}`;
  });
  return box;
}
