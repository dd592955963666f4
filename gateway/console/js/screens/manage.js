// What the manager's list screens (technicians, staff accounts) share.
import { api } from "../api.js";
import { t } from "../i18n.js";
import { busy, flash, h } from "../ui.js";

/** Deactivates (or reactivates) the record at `path` once at a time, then says so under its `label`
 * and reloads the list (`state.list`, `state.reload`). */
export function activeButton(state, path, record, label) {
  const button = h("button", { type: "button", class: record.active ? "danger" : "secondary",
    "data-action": record.active ? "deactivate" : "reactivate", text: t(record.active ? "deactivate" : "reactivate") });
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    const done = await busy(button, state.list, () => api.patch(path, { active: !record.active }));
    if (done) { flash(`${t("saved")} · ${label}`); state.reload(); }
  });
  return button;
}
