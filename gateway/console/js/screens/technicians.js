// The store's technicians (workshop API): skills from the chain's vocabulary, level, weekly shifts,
// labour cost and the login account they clock with; add, edit, deactivate and reactivate.
import { api } from "../api.js";
import { fenToInput, toFen, yuan } from "../format.js";
import { named, t } from "../i18n.js";
import { badge, busy, clearErrors, field, fill, flash, form, h, input, select, table, timeInput } from "../ui.js";
import { activeButton } from "./manage.js";

/** services/common/skills.py SKILLS but `general` (anyone: never held); a unit test keeps them equal. */
export const SKILLS = ["maintenance", "brakes", "engine", "transmission", "suspension", "electrical", "diagnostics",
  "air_conditioning", "tyres", "alignment", "bodywork", "paint", "detailing", "glass", "ev_high_voltage"];
export const LEVELS = ["apprentice", "junior", "intermediate", "senior", "master"];
const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
const NEW_SHIFTS = [0, 1, 2, 3, 4].map((weekday) => ({ weekday, start: "08:30", end: "18:00" }));

export function render(root, ctx) {
  const list = h("div", { class: "card wide", id: "technicians" }, h("p", { class: "hint", text: t("loading") }));
  const editor = h("div", { id: "technician-editor" });
  const state = { ctx, list, editor };
  state.reload = () => load(state);
  root.classList.add("manage");
  root.append(h("div", { class: "row" }, h("h1", { text: t("nav_technicians") }), h("span", { class: "spacer" }),
    h("button", { type: "button", class: "primary", id: "technician-add", text: t("technician_add"), onclick: () => edit(state, null) })),
  editor, list);
  state.reload();
}

const inVocabularyOrder = (skills) => [...skills].sort((a, b) => SKILLS.indexOf(a) - SKILLS.indexOf(b));
/** Weekly shifts in few words: days sharing hours together, a run of three or more days as its ends
 * (`周一–周五 08:30–18:00；周六 09:00–17:00`). */
export function shiftsText(shifts) {
  const byHours = new Map();
  for (const shift of shifts) {
    const hours = `${shift.start}–${shift.end}`;
    byHours.set(hours, [...(byHours.get(hours) ?? []), shift.weekday]);
  }
  return [...byHours].map(([hours, days]) => `${dayRuns(days)} ${hours}`).join(t("sep_clause"));
}

function dayRuns(days) {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  const runs = [];
  for (const day of sorted) {
    const run = runs.at(-1);
    if (run && day === run.at(-1) + 1) run.push(day); else runs.push([day]);
  }
  const day = (n) => t(`weekday_${n}`);
  return runs.map((run) => (run.length > 2 ? `${day(run[0])}–${day(run.at(-1))}` : run.map(day).join(t("sep_list"))))
    .join(t("sep_list"));
}

async function load(state) {
  const { ctx, list } = state;
  try {
    const technicians = await api.all("/v1/technicians", { store_id: ctx.store.id }, 500);
    technicians.sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name, "zh-CN"));
    fill(list, technicians.length ? table([["name"], ["level"], ["skills"], ["shifts"], ["hourly_cost_yuan", "num"], ["state"], [""]],
      technicians.map((tech) => h("tr", { "data-tech": tech.id },
        h("td", { class: "nowrap" }, h("b", { text: tech.name }), tech.employee_no ? h("div", { class: "hint", text: tech.employee_no }) : null),
        h("td", { class: "nowrap", text: named("level", tech.level) }),
        h("td", { "data-skills": "" }, inVocabularyOrder(tech.skills).map((skill) => badge(named("skill", skill)))),
        h("td", { class: "hint", "data-shifts": "", text: shiftsText(tech.shifts) || "—" }),
        h("td", { class: "num", text: yuan(tech.hourly_cost_fen) }),
        h("td", {}, tech.active ? badge(t("active"), "ok") : badge(t("inactive"), "bad")),
        h("td", { class: "actions" },
          h("button", { type: "button", class: "secondary", "data-action": "edit", text: t("edit"), onclick: () => edit(state, tech) }),
          activeButton(state, `/v1/technicians/${tech.id}`, tech, tech.name)))))
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(list, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function shiftRow(shift) {
  const row = h("div", { class: "row shift" },
    field("weekday", select("weekday", WEEKDAYS.map((day) => [day, t(`weekday_${day}`)]))),
    field("shift_start", timeInput("start", { value: shift.start, required: true })),
    field("shift_end", timeInput("end", { value: shift.end, required: true })),
    h("button", { type: "button", class: "secondary", text: t("remove"), onclick: () => row.remove() }));
  row.querySelector("[name=weekday]").value = String(shift.weekday);
  return row;
}

async function edit(state, tech) {
  const { ctx, editor } = state;
  const staff = await api.all("/v1/users", { store_id: ctx.store.id, role: "technician" }, 500).catch(() => []);
  const submit = h("button", { class: "primary", type: "submit", text: t("save") });
  const shifts = h("div", { class: "shifts" }, (tech?.shifts ?? NEW_SHIFTS).map(shiftRow));
  const held = new Set(tech?.skills ?? []);
  const account = select("user_id", [["", t("no_account")], ...staff.map((u) => [u.id, u.display_name || u.username])]);
  account.value = tech?.user_id ?? "";
  const level = select("level", LEVELS.map((value) => [value, named("level", value)]));
  level.value = tech?.level ?? "intermediate";
  const editorForm = form({ class: "card", id: "technician-form", "data-tech": tech?.id ?? "", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const body = readForm(editorForm);
    if (body === null) return;
    const saved = await busy(submit, editorForm, () => (tech ? api.patch(`/v1/technicians/${tech.id}`, body)
      : api.post("/v1/technicians", { ...body, store_id: ctx.store.id })));
    if (saved) {
      flash(`${t("saved")} · ${saved.name}`);
      fill(editor);
      state.reload();
    }
  } },
  h("h2", { text: tech ? `${t("edit")} · ${tech.name}` : t("technician_add") }),
  h("div", { class: "row" },
    field("name", input("name", { required: true, maxlength: 50, value: tech?.name ?? "" })),
    field("employee_no", input("employee_no", { maxlength: 30, value: tech?.employee_no ?? "" })),
    field("level", level),
    field("hourly_cost_yuan", input("hourly_cost_fen", { inputmode: "decimal", required: true,
      value: tech?.hourly_cost_fen != null ? fenToInput(tech.hourly_cost_fen) : "" })),
    field("linked_account", account)),
  h("fieldset", { class: "field skills", "data-field": "skills" }, h("legend", { text: t("skills") }),
    h("div", { class: "chips" }, SKILLS.map((skill) => h("label", { class: "chip" },
      h("input", { type: "checkbox", name: "skill", value: skill, checked: held.has(skill) }), ` ${named("skill", skill)}`))),
    h("small", { class: "field-error" })),
  h("fieldset", { class: "field", "data-field": "shifts" }, h("legend", { text: t("shifts") }), shifts,
    h("button", { type: "button", class: "secondary", text: t("add_shift"),
      onclick: () => shifts.append(shiftRow({ weekday: 5, start: "08:30", end: "18:00" })) }),
    h("small", { class: "field-error" })),
  h("div", { class: "row" }, submit,
    h("button", { type: "button", class: "secondary", text: t("cancel"), onclick: () => fill(editor) })));
  fill(editor, editorForm);
  editorForm.querySelector("[name=name]").focus();
}

/** The technician as the API takes it, or null (the cost is marked) when the cost is not an amount. */
function readForm(editorForm) {
  clearErrors(editorForm);
  const cost = toFen(editorForm.hourly_cost_fen.value);
  if (Number.isNaN(cost)) {
    const slot = editorForm.querySelector("[data-field=hourly_cost_fen]");
    slot.classList.add("invalid");
    slot.querySelector(".field-error").textContent = t("amount_invalid");
    return null;
  }
  const text = (name) => editorForm[name].value.trim() || null;
  return {
    name: editorForm.querySelector("[name=name]").value.trim(), employee_no: text("employee_no"), level: editorForm.level.value,
    hourly_cost_fen: cost, user_id: text("user_id"),
    skills: [...editorForm.querySelectorAll("[name=skill]:checked")].map((box) => box.value),
    shifts: [...editorForm.querySelectorAll(".shift")].map((row) => ({
      weekday: Number(row.querySelector("[name=weekday]").value),
      start: row.querySelector("[name=start]").value, end: row.querySelector("[name=end]").value })),
  };
}
