// My business summaries (issue 29): a manager sets the mobile on their own account and subscribes to a store's
// daily or weekly summary texted to it (HQ: also the whole chain's); crm sends each period's once, at 08:00.
import { api } from "../api.js";
import { named, t } from "../i18n.js";
import { busy, field, fill, flash, form, h, input, select, showError } from "../ui.js";
import { mobileProblem } from "../validate.js";

const PERIODS = ["daily", "weekly"];

/** A typed mobile that is not one, worded on its field before anything is sent (true: refused). */
export function refuseMobile(scope, value) {
  const problem = value ? mobileProblem(value) : null;
  if (problem) showError(scope, { message: t("fix_fields"), fields: { mobile: [t(problem)] } });
  return Boolean(problem);
}

/** The card; `saved()` after the user's mobile changed (the users list shows it). */
export function myReports(ctx, saved) {
  const card = h("div", { class: "card", id: "my-reports" }, h("h2", { text: t("my_reports") }),
    h("p", { class: "hint", text: t("report_when") }));
  const list = h("div", {}, h("p", { class: "hint", text: t("loading") }));
  const reload = () => load(list, reload);
  card.append(mobileForm(ctx, saved), subscribeForm(ctx, reload), list);
  reload();
  return card;
}

function mobileForm(ctx, saved) {
  const mobile = input("mobile", { inputmode: "numeric", maxlength: 20, value: ctx.user.mobile ?? "" });
  const submit = h("button", { type: "submit", class: "secondary", text: t("save_my_mobile") });
  const change = form({ class: "row", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled || refuseMobile(change, mobile.value.trim())) return;
    const user = await busy(submit, change, () => api.patch(`/v1/users/${ctx.user.id}`, { mobile: mobile.value.trim() || null }));
    if (user) { ctx.user.mobile = user.mobile; mobile.value = user.mobile ?? ""; flash(t("saved")); saved(); }
  } }, field("my_mobile", mobile), submit);
  return change;
}

function subscribeForm(ctx, reload) {
  // the store chosen in the top bar (HQ picks another there), or the chain for HQ
  const scopes = [[ctx.store.id, t("report_this_store")], ...(ctx.user.sees_every_store ? [["", t("campaign_chain_wide")]] : [])];
  const scope = select("report_scope", scopes, { "aria-label": t("report_scope") });
  const period = select("period", PERIODS.map((value) => [value, named("report_period", value)]),
    { "aria-label": t("report_period") });
  const submit = h("button", { type: "submit", class: "primary", text: t("report_subscribe") });
  const subscribe = form({ class: "row", onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const made = await busy(submit, subscribe, () => api.post("/v1/report-subscriptions",
      { store_id: scope.value || null, period: period.value }));
    if (made) { flash(`${t("saved")} · ${made.scope_name}`); reload(); }
  } }, field("report_scope", scope), field("report_period", period), submit);
  return subscribe;
}

async function load(list, reload) {
  try {
    const { items } = await api.get("/v1/report-subscriptions");
    const rows = items.map((item) => h("li", { "data-subscription": `${item.scope_name} ${item.period}` },
      `${item.scope_name} · ${named("report_period", item.period)}`,
      item.last_period ? h("span", { class: "hint", text: ` · ${t("report_last_sent")} ${item.last_period}` }) : null, " ",
      h("button", { class: "secondary", type: "button", text: t("report_unsubscribe"), onclick: async (event) => {
        const done = await busy(event.target, list, () => api.del(`/v1/report-subscriptions/${item.id}`).then(() => true));
        if (done) { flash(t("saved")); reload(); }
      } })));
    fill(list, null, rows.length ? h("ul", {}, rows) : h("p", { class: "hint", text: t("report_none") }));
  } catch (error) {
    fill(list, null, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}
