// The chain's service catalogue (HQ): labour operations (工时项目) added, changed (name, category,
// standard hours, the skill a technician needs) and deactivated or offered again; below them the packages
// (套餐) and the price list (packages.js). A deactivated one is
// quoted no more; the API judges every value and its words show under the field.
import { api } from "../api.js";
import { hours } from "../format.js";
import { named, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, select, table } from "../ui.js";
import { activeButton } from "./manage.js";
import { packageCards } from "./packages.js";
import { SKILLS } from "./technicians.js";

/** services/contracts/rpc/sales/catalogue.py CATEGORIES */
export const CATEGORIES = ["maintenance", "repair", "inspection", "bodywork", "paint", "tyres", "car_care", "electrical",
  "diagnosis", "other"];

export function render(root, ctx) {
  const state = { ctx, list: h("div", { class: "card wide", id: "operations" }, h("p", { class: "hint", text: t("loading") })),
    editor: h("div", { class: "card", id: "operation-editor" }) };
  state.reload = () => load(state);
  root.classList.add("manage");
  root.append(h("h1", { text: t("nav_catalogue") }), h("div", { class: "grid" }, state.editor, state.list),
    ...packageCards(ctx));
  edit(state, null);
  state.reload();
}

async function load(state) {
  try {
    const operations = await api.all("/v1/labour-operations", {}, 1000);
    operations.sort((a, b) => Number(b.active) - Number(a.active) || a.code.localeCompare(b.code));
    const rows = operations.map((op) => h("tr", { "data-op": op.code },
      h("td", {}, h("b", { text: op.name }), h("div", { class: "hint", text: op.code })),
      h("td", { text: named("op_category", op.category) }),
      h("td", { class: "num", "data-hours": op.standard_hours, text: hours(op.standard_hours) }),
      h("td", { text: named("skill", op.skill) }),
      h("td", {}, op.active ? badge(t("offered"), "ok") : badge(t("inactive"), "bad")),
      h("td", { class: "actions" }, h("button", { type: "button", class: "secondary", "data-action": "edit", text: t("edit"),
        onclick: () => edit(state, op) }), activeButton(state, `/v1/labour-operations/${op.id}`, op, op.name))));
    fill(state.list, h("h2", { text: t("labour_operations") }),
      table([["name"], ["op_category"], ["standard_hours", "num"], ["skill"], ["state"], [""]], rows));
  } catch (error) {
    fill(state.list, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** The form of a new operation (`op` null) or of one to change (its code stays). */
function edit(state, op) {
  const submit = h("button", { class: "primary", type: "submit", text: t(op ? "save" : "add") });
  const editor = form({ id: "operation-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: editor.name.value.trim(), category: editor.category.value,
      standard_hours: editor.standard_hours.value.trim(), skill: editor.skill.value };
    const saved = await busy(submit, editor, () => (op ? api.patch(`/v1/labour-operations/${op.id}`, body)
      : api.post("/v1/labour-operations", { ...body, code: editor.code.value.trim() })));
    if (saved) {
      flash(`${t("saved")} · ${saved.name}`);
      edit(state, null);
      state.reload();
    }
  } },
  h("h2", { text: op ? `${t("edit")} · ${op.name}` : t("labour_operation_add") }),
  op ? null : field("op_code", input("code", { required: true, maxlength: 40, autocomplete: "off" })),
  field("name", input("name", { required: true, maxlength: 100, value: op?.name ?? "" })),
  h("div", { class: "row" },
    field("op_category", select("category", CATEGORIES.map((c) => [c, named("op_category", c)]))),
    field("standard_hours", input("standard_hours", { inputmode: "decimal", required: true, value: op?.standard_hours ?? "" }),
      t("standard_hours_hint"))),
  field("skill", select("skill", ["general", ...SKILLS].map((s) => [s, named("skill", s)]))),
  h("div", { class: "row" }, submit, op ? h("button", { type: "button", class: "secondary", text: t("cancel"),
    onclick: () => edit(state, null) }) : null));
  editor.category.value = op?.category ?? "maintenance";
  editor.skill.value = op?.skill ?? "general";
  fill(state.editor, editor);
}
