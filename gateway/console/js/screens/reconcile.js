// Payment reconciliation (对账): each payment provider's statement of a day (WeChat Pay, Alipay) matched with
// the payments and refunds recorded here. Per run its totals (the store's lines) and every difference in
// words — the provider has money we did not record, we recorded money the provider does not list, the
// amounts differ — with what to do about it; a manager resolves one with a note, or reconciles a day now
// (the daily job does yesterday's each morning). Days are the providers' (Beijing time).
import { api } from "../api.js";
import { dateTime, localDay, yuan } from "../format.js";
import { phrase, t } from "../i18n.js";
import { badge, busy, dateInput, field, fill, flash, form, h, input, select, showError, table } from "../ui.js";

const BEIJING = "Asia/Shanghai";
const PROVIDERS = ["wechat", "alipay"];
const TONE = { done: "ok", failed: "danger", running: "warn", open: "danger", resolved: "ok", cleared: "ok" };

export function render(root, ctx) {
  const day = dateInput("date", { value: localDay(BEIJING, -1) });
  const provider = select("provider", [["", t("all_states")], ...PROVIDERS.map((p) => [p, t(`method_${p}`)])]);
  const runs = h("div", { id: "reconciliations" });
  const load = () => runsInto(runs, ctx, { store_id: ctx.store.id, date: day.value.trim() || undefined,
    provider: provider.value || undefined, limit: 20 }, load);
  const show = h("button", { type: "button", class: "secondary", text: t("rc_show") });
  show.addEventListener("click", load);
  provider.addEventListener("change", load);
  const controls = form({ class: "card", id: "reconcile-form", onsubmit: async (event) => {
    event.preventDefault();
    if (!ctx.user.manages) return load();
    const ran = await busy(runNow, controls, () => api.post("/v1/payment-reconciliations", {
      date: day.value.trim(), provider: provider.value || null }));
    if (ran) { flash(t("rc_done")); load(); }
  } }, h("div", { class: "row" }, field("rc_date", day), field("rc_provider", provider), show));
  const runNow = h("button", { class: "primary", type: "submit", text: t("rc_run_now") });
  if (ctx.user.manages) controls.querySelector(".row").append(runNow);
  root.append(h("h1", { text: t("rc_title") }), h("p", { class: "hint", text: t("rc_intro") }), controls, runs);
  load();
}

async function runsInto(box, ctx, query, reload) {
  let page;
  try {
    page = await api.get("/v1/payment-reconciliations", query);
  } catch (error) {
    fill(box, h("div", { class: "form-error" }));
    return showError(box, error);
  }
  fill(box, ...(page.items.length ? page.items.map((run) => runCard(run, ctx, reload))
    : [h("p", { class: "hint", id: "no-reconciliation", text: t("rc_none") })]));
}

function runCard(run, ctx, reload) {
  const total = run.totals;
  return h("section", { class: "card reconciliation", "data-reconciliation": run.id, "data-provider": run.provider,
    "data-merchant": run.merchant_id },
    h("h2", {}, `${t(`method_${run.provider}`)} · ${t("rc_merchant")} ${run.merchant_id} · ${run.date} `,
      badge(t(`rc_run_${run.status}`), TONE[run.status])),
    run.status === "failed" ? h("p", { class: "form-error", text: t("rc_failed") }) : "",
    h("div", { class: "totals" },
      h("span", { text: t("rc_payments") }), h("span", { class: "num", text: `${total.payment_count} · ${yuan(total.collected_fen)}` }),
      h("span", { text: t("rc_refunds") }), h("span", { class: "num", text: `${total.refund_count} · ${yuan(total.refunded_fen)}` }),
      h("span", { text: t("rc_fees") }), h("span", { class: "num", text: yuan(total.fee_fen) }),
      h("span", { text: t("rc_open") }), h("span", { class: "num", text: String(run.open_differences) })),
    h("p", { class: "hint", text: `${t("rc_checked_at")} ${run.finished_at ? dateTime(run.finished_at, ctx.tz) : "—"}` }),
    run.differences.length ? table(
      [["rc_kind"], ["rc_order_no"], ["rc_provider_amount", "num"], ["rc_recorded_amount", "num"], ["rc_action"],
        ["rc_status"], [""]],
      run.differences.map((d) => h("tr", { "data-difference": d.id, "data-kind": d.kind, "data-status": d.status },
        h("td", { text: `${t(`rc_line_${d.line_kind}`)}：${t(`rc_kind_${d.kind}`)}` }),
        h("td", { class: "mono", text: d.out_trade_no || d.reference }),
        h("td", { class: "num", text: d.provider_amount_fen === null ? "—" : yuan(d.provider_amount_fen) }),
        h("td", { class: "num", text: d.recorded_amount_fen === null ? "—" : yuan(d.recorded_amount_fen) }),
        h("td", { class: "action", text: t(`rc_action_${d.action}`) }),
        h("td", {}, badge(t(`rc_status_${d.status}`), TONE[d.status]), d.note ? h("small", { class: "hint", text: ` ${d.note}` }) : ""),
        h("td", {}, d.status === "open" && d.action === "record_payment" && d.intent_id ? checkButton(d) : "",
          d.status === "open" && ctx.user.manages ? resolveForm(run, d, reload) : ""))))
      : h("p", { class: "hint ok-text", text: t("rc_all_matched") }));
}

/** Ask the provider about the intent now: paid there, it is recorded here as its notification would be. */
function checkButton(difference) {
  const button = h("button", { type: "button", class: "link check", text: t("rc_check") });
  const scope = h("span", {}, button, h("span", { class: "form-error" }));
  button.addEventListener("click", async () => {
    const intent = await busy(button, scope, () => api.post(`/v1/payment-intents/${difference.intent_id}/check`, {}));
    if (intent) flash(intent.status === "paid" ? t("rc_check_paid") : phrase("rc_check_unpaid", { status: intent.status }));
  });
  return scope;
}

function resolveForm(run, difference, reload) {
  const submit = h("button", { type: "submit", class: "link", text: t("rc_resolve") });
  const note = input("note", { maxlength: 1000, required: true, placeholder: t("rc_note_placeholder"), "aria-label": t("rc_note") });
  const resolve = form({ class: "resolve", onsubmit: async (event) => {
    event.preventDefault();
    const done = await busy(submit, resolve, () => api.post(
      `/v1/payment-reconciliations/${run.id}/differences/${difference.id}/resolve`, { note: note.value.trim() }));
    if (done) { flash(t("rc_resolved")); reload(); }
  } }, h("span", { class: "field", "data-field": "note" }, note, h("small", { class: "field-error" })), submit);
  return resolve;
}
