// Insurance claims (保险理赔, 事故车) for the cashier, the manager and HQ: the insurers this store may put claims
// on with what they owe, the store's open claims, an insurer's statement (each claim by 报案号 with plate,
// invoice, day, amount, received, written off, open and age, and the open claims' ageing). Managers and HQ
// set up insurers, record an insurer's remittance (赔款到账) against named claims, write off what a short
// payment leaves and void (作废) a claim put on an insurer by mistake before any remittance (its amount is due at
// the till again). Anyone at the till asks for the insurer's fapiao of a claim's share (开具发票) and downloads it. The insurer's monthly statement downloads as a PDF (下载对账单). Putting an invoice's share on
// an insurer is on the cashier's screen. The screen follows every change of a claim live
// (finance.insurance_claim_changed).
import { api } from "../api.js";
import { date, fenToInput, localDay, toFen, yuan } from "../format.js";
import { t } from "../i18n.js";
import { watch } from "../live.js";
import { POLL_MS, TONE, WORKING } from "./fapiao.js";
import { badge, busy, field, fill, flash, form, h, input, loading, monthInput, select, showError, table } from "../ui.js";

export const EVENTS = ["finance.insurance_claim_changed"];

const BUCKETS = ["current_fen", "days_1_30_fen", "days_31_60_fen", "days_61_90_fen", "over_90_fen", "total_fen"];

export function render(root, ctx) {
  const detail = h("div", { id: "insurer-detail" });
  const list = h("div", {});
  const open = h("div", {});
  const refresh = () => {
    fill(list, loading("insurers", async () => {
      const page = await api.get("/v1/insurers", ctx.user.sees_every_store ? { limit: 200 } : { store_id: ctx.store.id, limit: 200 });
      return [h("h2", { text: t("insurers") }), page.items.length ? table(
        [["insurer_name"], ["adjuster_name"], ["claims_open_count", "num"], ["insurer_owes", "num"], ["state"]],
        page.items.map((insurer) => h("tr", { "data-insurer": insurer.name, class: "clickable",
          onclick: () => showInsurer(detail, insurer.id, ctx, refresh) },
          h("td", { text: insurer.name }), h("td", { text: insurer.contact_name ?? "—" }),
          h("td", { class: "num", text: String(insurer.open_claims) }), h("td", { class: "num", text: yuan(insurer.balance_fen) }),
          h("td", {}, badge(t(`insurer_${insurer.status}`), insurer.status === "active" ? "ok" : "bad")))))
        : h("p", { class: "hint", text: t("none") })];
    }));
    fill(open, loading("open-claims", async () => {
      const page = await api.get("/v1/insurance-claims", { store_id: ctx.store.id, status: "open", limit: 200 });
      return [h("h2", { text: t("claims_open") }), page.items.length ? table(
        [["claim_number"], ["insurer"], ["plate"], ["invoice"], ["claim_date"], ["claim_open", "num"]],
        page.items.map((c) => h("tr", { "data-claim": c.claim_number },
          h("td", { text: c.claim_number }), h("td", { text: c.insurer_name }), h("td", { text: c.plate ?? "—" }),
          h("td", { text: c.invoice_number }), h("td", { text: date(c.business_date, ctx.tz) }),
          h("td", { class: "num", text: yuan(c.open_fen) }))))
        : h("p", { class: "hint", text: t("no_claims") })];
    }));
  };
  refresh();
  watch(open, EVENTS, refresh);
  root.append(h("h1", { text: t("nav_claims") }), list, open, detail); // the till sets no insurer up
  if (ctx.user.manages) root.append(setUpForm(ctx, refresh));
}

function setUpForm(ctx, refresh) {
  const stores = ctx.user.sees_every_store ? ctx.stores : [ctx.store];
  const submit = h("button", { type: "submit", class: "primary", text: t("set_up_insurer") });
  const setUp = form({ class: "card", id: "insurer-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { name: setUp.name.value.trim(), tax_number: setUp.tax_number.value.trim().toUpperCase() || null,
      contact_name: setUp.contact_name.value.trim() || null,
      contact_phone: setUp.contact_phone.value.trim() || null,
      store_ids: [...setUp.querySelectorAll("[name=store_ids]:checked")].map((box) => box.value) };
    const made = await busy(submit, setUp, () => api.post("/v1/insurers", body));
    if (made) { flash(`${made.name} · ${t("insurer_set_up")}`); setUp.reset(); refresh(); }
  } },
  h("h2", { text: t("set_up_insurer") }),
  field("insurer_name", input("name", { required: true, maxlength: 100, placeholder: "中国人保财险" })),
  field("insurer_tax_number", input("tax_number", { maxlength: 18, placeholder: t("insurer_tax_number_hint") })),
  h("div", { class: "row" }, field("adjuster_name", input("contact_name", { maxlength: 50 })),
    field("adjuster_phone", input("contact_phone", { maxlength: 20 }))),
  h("fieldset", { class: "field", "data-field": "store_ids" }, h("legend", { text: t("stores_that_may_claim") }),
    stores.map((store) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "store_ids", value: store.id, checked: store.id === ctx.store.id }), ` ${store.name}`)),
    h("small", { class: "field-error" })),
  submit);
  return setUp;
}

async function showInsurer(detail, insurerId, ctx, refreshList) {
  fill(detail, h("p", { class: "hint", text: t("loading") }));
  let insurer;
  try {
    insurer = await api.get(`/v1/insurers/${insurerId}`);
  } catch (error) {
    fill(detail, h("div", { class: "form-error" }));
    return showError(detail, error);
  }
  const again = () => { refreshList(); showInsurer(detail, insurerId, ctx, refreshList); };
  const storeName = (id) => ctx.stores.find((s) => s.id === id)?.name ?? "—";
  const card = h("div", { class: "card", id: "insurer", "data-insurer": insurer.name },
    h("div", { class: "row" }, h("h2", { text: insurer.name }), badge(t(`insurer_${insurer.status}`), insurer.status === "active" ? "ok" : "bad")),
    h("dl", { class: "facts" },
      ...[["adjuster_name", insurer.contact_name ?? "—"], ["adjuster_phone", insurer.contact_phone ?? "—"],
        ["insurer_owes", yuan(insurer.balance_fen)], ["claims_open_count", String(insurer.open_claims)],
        ["stores_that_may_claim", insurer.store_ids.map(storeName).join("、")]]
        .flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", { "data-fact": key, text: value })])));
  const view = h("div", { class: "insurer-view" }, card, statementCard(insurer, ctx, again), monthlyCard(insurer, ctx));
  fill(detail, view);
  watch(view, EVENTS, () => showInsurer(detail, insurerId, ctx, refreshList)); // never under a form being typed in
}

// 下载对账单: the insurer's month (claims put on it, remittances, write-offs, voids, the balances) as a PDF file.
function monthlyCard(insurer, ctx) {
  const month = monthInput("month", { value: localDay(ctx.tz).slice(0, 7) });
  const box = h("span", { class: "print" });
  const download = h("button", { type: "button", class: "secondary", id: "download-insurer-statement",
    text: t("download_insurer_statement"), onclick: async () => {
      const blob = await busy(download, box, () => api.blob(`/v1/insurers/${insurer.id}/statements/${month.value}.pdf`));
      if (!blob) return;
      const link = h("a", { href: URL.createObjectURL(blob), download: `${t("insurer_statement")}-${insurer.name}-${month.value}.pdf` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } });
  box.append(download, h("span", { class: "form-error" }));
  return h("div", { class: "card", id: "insurer-monthly" }, h("div", { class: "row" },
    h("h2", { text: t("monthly_statement") }), field("statement_month", month), box));
}

function statementCard(insurer, ctx, again) {
  const body = h("div", { id: "insurer-statement" });
  const openOnly = h("input", { type: "checkbox", name: "open_only" });
  const show = () => fill(body, loading("claims-statement", async () => {
    const s = await api.get(`/v1/insurers/${insurer.id}/statement`, openOnly.checked ? { open_only: "true" } : {});
    const open = s.claims.filter((c) => c.open_fen > 0);
    const voidable = open.filter((c) => c.paid_fen === 0); // once the insurer remitted any of it, it stays
    if (s.claims.some((c) => c.fapiao && WORKING.includes(c.fapiao.status))) { // the provider issues it: followed
      setTimeout(() => { if (body.isConnected) show(); }, POLL_MS);
    }
    return [table([["claim_number"], ["plate"], ["invoice"], ["claim_date"], ["claim_amount", "num"], ["claim_paid", "num"],
      ["claim_written_off", "num"], ["claim_open", "num"], ["claim_age", "num"], ["claim_state"], ["claim_fapiao"]], [
      ...s.claims.map((c) => h("tr", { "data-claim": c.claim_number, "data-status": c.status },
        h("td", { text: c.claim_number }), h("td", { text: c.plate ?? "—" }), h("td", { text: c.invoice_number }),
        h("td", { text: date(c.business_date, ctx.tz) }), h("td", { class: "num", text: yuan(c.amount_fen) }),
        h("td", { class: "num", text: yuan(c.paid_fen) }), h("td", { class: "num", text: yuan(c.written_off_fen) }),
        h("td", { class: "num", text: yuan(c.open_fen) }), h("td", { class: "num", text: String(c.age_days) }),
        h("td", {}, badge(t(`claim_status_${c.status}`), c.status === "open" ? "" : c.status === "voided" ? "bad" : "ok"),
          c.void_reason ? ` ${date(c.voided_on, ctx.tz)} ${c.void_reason}` : c.write_off_reason ? ` ${c.write_off_reason}` : ""),
        h("td", { class: "claim-fapiao" }, claimFapiao(c, again)))),
      h("tr", { class: "total" }, h("td", { text: t("statement_total") }), h("td"), h("td"), h("td"),
        h("td", { class: "num", text: yuan(s.amount_fen) }), h("td", { class: "num", text: yuan(s.paid_fen) }),
        h("td", { class: "num", text: yuan(s.written_off_fen) }),
        h("td", { class: "num", "data-open": s.open_fen, text: yuan(s.open_fen) }), h("td"), h("td"), h("td"))]),
    h("h3", { text: t("ageing_of_open") }),
    table(BUCKETS.map((name) => [`claim_ageing_${name}`, "num"]),
      [h("tr", { id: "claims-ageing" }, BUCKETS.map((name) => h("td", { class: "num", text: yuan(s.ageing[name]) })))]),
    ctx.user.manages && open.length ? remittanceForm(insurer, open, again) : null,
    ctx.user.manages && open.length ? writeOffForm(open, again) : null,
    ctx.user.manages && voidable.length ? voidForm(voidable, again) : null];
  }));
  openOnly.addEventListener("change", show);
  show();
  return h("div", { class: "card" }, h("div", { class: "row" }, h("h2", { text: t("insurer_statement") }),
    h("label", { class: "check" }, openOnly, ` ${t("open_only")}`)), body);
}

// 开具发票: the insurer's fapiao for the claim's share (the insurer the buyer, by its name and tax number), issued
// by the provider afterwards; then its state and, once issued, its number and download links. A voided claim has
// none (a claim's fapiao is reversed by a red one on the fapiao screen before the claim is voided).
function claimFapiao(claim, again) {
  const f = claim.fapiao;
  const standing = f && !["failed", "cancelled", "reversed"].includes(f.status);
  const shown = f ? [badge(t(`fapiao_status_${f.status}`), TONE[f.status]),
    f.number ? ` ${f.number} ` : " ",
    f.pdf_url ? h("a", { href: f.pdf_url, target: "_blank", rel: "noopener", class: "pdf-link", text: t("fapiao_pdf") }) : "",
    f.ofd_url ? h("a", { href: f.ofd_url, download: "", class: "ofd-link", text: t("fapiao_ofd") }) : ""] : [];
  if (standing || claim.status === "voided") return h("span", {}, ...shown);
  const box = h("span", {});
  const ask = h("button", { type: "button", class: "secondary claim-fapiao-request", text: t("claim_fapiao_request"),
    onclick: async () => {
      const made = await busy(ask, box, () => api.post(`/v1/insurance-claims/${claim.id}/fapiao`, { type: "normal" }));
      if (made) { flash(`${claim.claim_number} · ${t("claim_fapiao_requested")} ${yuan(made.amount_fen)}`); again(); }
    } });
  box.append(...shown, ask, h("span", { class: "form-error" }));
  return box;
}

// 赔款到账: what arrived, claim by claim (an amount left empty pays nothing of that claim).
function remittanceForm(insurer, open, again) {
  const submit = h("button", { type: "submit", class: "primary", text: t("record_remittance") });
  const remit = form({ id: "remittance-form", onsubmit: async (event) => {
    event.preventDefault();
    const lines = [];
    for (const claim of open) {
      const typed = remit.querySelector(`[name="pay_${claim.id}"]`).value.trim();
      if (!typed) continue;
      const amount = toFen(typed);
      if (Number.isNaN(amount)) return showError(remit, { message: t("fix_fields"), fields: { [`pay_${claim.id}`]: [t("amount_invalid")] } });
      lines.push({ claim_id: claim.id, amount_fen: amount });
    }
    if (!lines.length) return showError(remit, { message: t("remittance_nothing") });
    const made = await busy(submit, remit, () => api.post(`/v1/insurers/${insurer.id}/remittances`,
      { method: remit.method.value, reference: remit.reference.value.trim() || null, lines }));
    if (made) { flash(`${insurer.name} · ${t("remittance_recorded")} ${yuan(made.amount_fen)}`); again(); }
  } },
  h("h3", { text: t("record_remittance") }), h("p", { class: "hint", text: t("remittance_hint") }),
  ...open.map((claim) => h("label", { class: "field", "data-field": `pay_${claim.id}`, "data-claim": claim.claim_number },
    h("span", { text: `${claim.claim_number} · ${claim.plate ?? ""} · ${t("claim_open")} ${yuan(claim.open_fen)}` }),
    input(`pay_${claim.id}`, { inputmode: "decimal", placeholder: fenToInput(claim.open_fen) }), h("small", { class: "field-error" }))),
  h("div", { class: "row" }, field("pay_into", select("method", ["bank", "cash"].map((m) => [m, t(`pay_from_${m}`)]))),
    field("remittance_reference", input("reference", { maxlength: 100 }))),
  submit);
  return remit;
}

// 核销: what the insurer will not pay of a claim, closed by a manager with the reason.
function writeOffForm(open, again) {
  const submit = h("button", { type: "submit", class: "secondary", text: t("write_off_rest") });
  const writeOff = form({ id: "write-off-form", onsubmit: async (event) => {
    event.preventDefault();
    const claimId = writeOff.claim_id.value;
    const done = await busy(submit, writeOff, () => api.post(`/v1/insurance-claims/${claimId}/write-off`,
      { reason: writeOff.reason.value.trim() }));
    if (done) { flash(`${done.claim_number} · ${t("written_off_done")} ${yuan(done.written_off_fen)}`); again(); }
  } },
  h("h3", { text: t("write_off_rest") }),
  h("div", { class: "row" },
    field("claim_number", select("claim_id", open.map((c) => [c.id, `${c.claim_number} · ${t("claim_open")} ${yuan(c.open_fen)}`]))),
    field("write_off_reason", input("reason", { maxlength: 200, required: true }))),
  submit);
  return writeOff;
}

// 作废: a claim put on an insurer by mistake (wrong insurer or 报案号, the customer pays after all), before any
// remittance; a manager types why. Its amount is due on the invoice at the till again.
function voidForm(voidable, again) {
  const submit = h("button", { type: "submit", class: "danger", text: t("void_claim") });
  const voiding = form({ id: "void-claim-form", onsubmit: async (event) => {
    event.preventDefault();
    const claimId = voiding.claim_id.value;
    const done = await busy(submit, voiding, () => api.post(`/v1/insurance-claims/${claimId}/void`,
      { reason: voiding.reason.value.trim() }));
    if (done) { flash(`${done.claim_number} · ${t("claim_voided_done")} ${yuan(done.amount_fen)}`); again(); }
  } },
  h("h3", { text: t("void_claim_title") }), h("p", { class: "hint", text: t("void_claim_hint") }),
  h("div", { class: "row" },
    field("claim_number", select("claim_id", voidable.map((c) => [c.id, `${c.claim_number} · ${c.plate ?? ""} · ${c.invoice_number} · ${yuan(c.amount_fen)}`]))),
    field("void_reason", input("reason", { maxlength: 200, minlength: 2, required: true }))),
  submit);
  return voiding;
}
