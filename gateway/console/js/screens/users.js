// Staff accounts (identity API): a store manager sees and manages the staff of their store (advisors,
// technicians, cashiers); HQ every store's, every role, or the whole chain at once. Create, change the
// role, deactivate and reactivate (a changed account logs in again).
import { api } from "../api.js";
import { named, t } from "../i18n.js";
import { badge, busy, field, fill, flash, form, h, input, select, table } from "../ui.js";
import { activeButton } from "./manage.js";
import { myReports, refuseMobile } from "./report_subscriptions.js";

export function render(root, ctx) {
  const hq = ctx.user.sees_every_store;
  const state = { ctx, hq, roles: ctx.user.grantable_roles, chain: false,
    list: h("div", { class: "card wide", id: "users" }, h("p", { class: "hint", text: t("loading") })) };
  state.reload = () => load(state);
  const scope = hq ? h("label", { class: "chip" }, h("input", { type: "checkbox", name: "all_stores", onchange: (event) => {
    state.chain = event.target.checked;
    state.reload();
  } }), ` ${t("all_stores")}`) : null;
  root.classList.add("manage");
  root.append(h("h1", { text: `${t("nav_users")} · ${ctx.store?.name ?? ""}` }), h("div", { class: "grid" }, createForm(state), myReports(ctx, state.reload), state.list));
  state.list.prepend(h("div", { class: "row" }, scope));
  state.reload();
}

async function load(state) {
  const { ctx, list } = state;
  const storeName = (id) => ctx.stores.find((s) => s.id === id)?.name;
  try {
    const users = await api.all("/v1/users", { store_id: state.chain ? null : ctx.store.id }, 1000);
    users.sort((a, b) => Number(b.active) - Number(a.active) || a.username.localeCompare(b.username));
    const rows = users.map((user) => h("tr", { "data-user": user.username },
      h("td", {}, h("b", { text: user.display_name || user.username }), h("div", { class: "hint", text: user.username })),
      h("td", { text: named("role", user.role) }),
      h("td", { text: user.mobile ?? "—" }),
      h("td", { text: user.store_ids.map(storeName).filter(Boolean).join(t("sep_list")) || (user.role === "hq_admin" ? t("all_stores") : "—") }),
      h("td", {}, user.active ? badge(t("active"), "ok") : badge(t("inactive"), "bad")),
      h("td", { class: "actions" }, user.id === ctx.user.id ? null : [roleForm(state, user),
        manageable(state, user) ? activeButton(state, `/v1/users/${user.id}`, user, user.username) : null])));
    fill(list, list.firstChild, rows.length ? table([["name"], ["role"], ["mobile"], ["stores"], ["state"], [""]], rows)
      : h("p", { class: "hint", text: t("none") }));
  } catch (error) {
    fill(list, list.firstChild, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** Role choices an actor may grant; another store's manager or HQ is shown but not changed. */
function manageable(state, user) {
  return state.roles.includes(user.role);
}

function roleForm(state, user) {
  if (!manageable(state, user)) return null;
  const submit = h("button", { type: "submit", class: "secondary", text: t("change_role") });
  const roles = select("role", state.roles.map((role) => [role, named("role", role)]), { "aria-label": t("role") });
  roles.value = user.role;
  const change = form({ class: "row role-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled || roles.value === user.role) return;
    const done = await busy(submit, change, () => api.patch(`/v1/users/${user.id}`, { role: roles.value }));
    if (done) { flash(`${t("saved")} · ${user.username}`); state.reload(); }
  } }, roles, submit);
  return change;
}

function createForm(state) {
  const { ctx } = state;
  const submit = h("button", { class: "primary", type: "submit", text: t("user_add") });
  const role = select("role", state.roles.map((value) => [value, named("role", value)]));
  role.value = "service_advisor";
  const create = form({ class: "card", id: "user-form", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const read = (name) => create.querySelector(`[name=${name}]`).value;
    if (refuseMobile(create, read("mobile").trim())) return;
    const body = { username: read("username").trim(), display_name: read("display_name").trim() || null,
      mobile: read("mobile").trim() || null,
      password: read("password"), role: role.value, store_ids: role.value === "hq_admin" ? [] : [ctx.store.id] };
    const created = await busy(submit, create, () => api.post("/v1/users", body));
    if (created) {
      flash(`${t("saved")} · ${created.username}`);
      create.reset();
      role.value = "service_advisor";
      state.reload();
    }
  } },
  h("h2", { text: t("user_add") }),
  field("username", input("username", { required: true, autocomplete: "off", maxlength: 50 })),
  field("display_name", input("display_name", { maxlength: 50 })),
  field("mobile", input("mobile", { inputmode: "numeric", maxlength: 20 })),
  field("initial_password", input("password", { type: "password", required: true, autocomplete: "new-password", minlength: 8 })),
  field("role", role), submit);
  return create;
}
