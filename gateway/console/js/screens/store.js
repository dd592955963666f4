// The store's details and settings: name, address and phone (identity: the header of every printed
// document), business hours, bays per slot and how long a quote stays valid (sales settings), and the
// repair shop's registration (finance settings): its category (一类/二类/三类 upload every settled repair's
// health record), licence or filing number and registered name; and the accounts it takes money and issues
// fapiao on (ids only: merchant numbers by their last four, the seller's tax number) and its messages go out under (the SMS sign, the
// official accounts masked); its own prices within the chain's range;
// competitors' prices beside its own (market.js); and customer care (crm settings): days from delivery to the
// call-back, and the quiet hours in which no marketing message (reminders, campaigns) goes out.
import { api } from "../api.js";
import { phrase, t } from "../i18n.js";
import { busy, field, fill, flash, form, h, input, select, timeInput } from "../ui.js";
import { competitorCard } from "./market.js";
import { storePriceCard } from "./packages.js";

/** Fired after the store's details change, so the shell reloads the stores it shows. */
export const CHANGED = "stores-changed";

export function render(root, ctx) {
  const body = h("div", { class: "grid", id: "store-settings" }, h("p", { class: "hint", text: t("loading") }));
  root.classList.add("manage");
  root.append(h("h1", { text: t("store_details") }), body);
  load(body, ctx);
}

/** A chain with no store yet: HQ opens the first one (the shell then opens it). */
export function renderFirst(root) {
  root.classList.add("manage");
  root.append(h("h1", { text: t("first_store") }), h("div", { class: "grid", id: "store-settings" }, openStoreForm()));
}

async function load(body, ctx) {
  try {
    const [store, settings, finance, care] = await Promise.all([
      api.all("/v1/stores", {}, 10000).then((stores) => stores.find((s) => s.id === ctx.store.id)),
      api.get(`/v1/sales-settings/${ctx.store.id}`), api.get(`/v1/stores/${ctx.store.id}/finance-settings`),
      api.get(`/v1/stores/${ctx.store.id}/crm-settings`)]);
    const accounts = h("section", { class: "card wide", id: "provider-accounts" }, h("h2", { text: t("provider_accounts") }),
      h("p", { class: "hint", text: t("loading") }));
    const messages = h("section", { class: "card wide", id: "message-accounts" }, h("h2", { text: t("message_accounts") }),
      h("p", { class: "hint", text: t("loading") }));
    fill(body, detailsForm(store), settingsForm(settings, ctx), careForm(care, ctx), repairShopForm(finance, ctx), accounts,
      messages,
      storePriceCard(ctx),
      competitorCard(ctx),
      ctx.user.sees_every_store ? openStoreForm() : null);
    loadAccounts(accounts, ctx);
    loadMessageAccounts(messages, ctx);
  } catch (error) {
    fill(body, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** The merchant and tax accounts the store uses: the chain's or its own (never a key: the API has none). */
async function loadAccounts(card, ctx) {
  const title = h("h2", { text: t("provider_accounts") });
  try {
    const found = await api.get(`/v1/stores/${ctx.store.id}/provider-accounts`);
    const rows = [
      ...found.payments.map((account) => accountRow(`account_${account.provider}`, account, paymentIds(account))),
      accountRow("account_fapiao", found.fapiao, [[t("tax_num"), found.fapiao.tax_num], [t("seller_name"), found.fapiao.seller_name]]),
      accountRow("account_health_record", found.health_record, [[t("company_code"), found.health_record.company_code],
        [t("login_password"), found.health_record.company_code ? t(found.health_record.has_password ? "password_set" : "password_missing") : null]])];
    fill(card, title, h("p", { class: "hint", text: `${t("provider_accounts_hint")} ${found.keys_file}` }),
      accountTable("provider-account-list", rows));
  } catch (error) {
    fill(card, title, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

/** The accounts the store's messages go out under and where paying inside WeChat is authorized: the chain's or
 * its own (the sign and masked ids; the API has no key). */
async function loadMessageAccounts(card, ctx) {
  const title = h("h2", { text: t("message_accounts") });
  try {
    const found = await api.get(`/v1/stores/${ctx.store.id}/message-accounts`);
    // an appid shown by its last four characters, as a bank card is (尾号 0002): the API's `wxsa****0002`
    const official = (account) => [[t("official_account_id"), ending(account.appid_masked)]];
    const rows = [accountRow("account_sms", found.sms, [[t("sms_sign"), found.sms.sign_name && `【${found.sms.sign_name}】`]]),
      accountRow("account_wechat_mp", found.wechat, official(found.wechat)),
      accountRow("account_payer_authorization", found.payer_authorization, official(found.payer_authorization))];
    fill(card, title, h("p", { class: "hint", text: `${t("message_accounts_hint")} ${found.keys_file}` }),
      accountTable("message-account-list", rows));
  } catch (error) {
    fill(card, title, h("p", { class: "form-error", text: `${t("error")}: ${error.message}` }));
  }
}

function accountTable(id, rows) {
  return h("table", { class: "list", id },
    h("thead", {}, h("tr", {}, ...["account_kind", "account_owner", "account_details"].map((key) => h("th", { text: t(key) })))),
    h("tbody", {}, ...rows));
}

/** A merchant number or app id by its last four characters (尾号 1234), as the official account's appid is. */
const ending = (id) => id && phrase("id_ending", { last: String(id).slice(-4) });

function paymentIds(account) {
  if (!account.configured) return [];
  if (account.provider === "wechat") {
    return account.mode === "partner"
      ? [[t("account_mode"), t("mode_wechat_partner")], [t("sub_merchant_no"), ending(account.merchant_id)], [t("sp_merchant_no"), ending(account.sp_mchid)]]
      : [[t("account_mode"), t("mode_direct")], [t("merchant_no"), ending(account.merchant_id)]];
  }
  return account.mode === "partner"
    ? [[t("account_mode"), t("mode_alipay_partner")], [t("merchant_app_id"), ending(account.merchant_id)], [t("isv_app_id"), ending(account.isv_appid)]]
    : [[t("account_mode"), t("mode_direct")], [t("merchant_app_id"), ending(account.merchant_id)]];
}

function accountRow(kind, account, ids) {
  const owner = !account.configured ? "account_not_configured" : account.own ? "account_own" : "account_chain";
  const shown = ids.filter(([, id]) => id);
  return h("tr", { "data-account": kind },
    h("td", { text: t(kind) }), h("td", { text: t(owner) }),
    h("td", {}, ...(shown.length ? shown.map(([label, id]) => h("div", { text: `${label} ${id}` })) : [h("span", { text: "—" })])));
}

/** A form whose submit sends what `read()` gives to `send`, busy and once at a time, then says so. */
function settingsCard(id, title, controls, read, send, done) {
  const submit = h("button", { class: "primary", type: "submit", text: t("save") });
  const card = form({ class: "card", id, onsubmit: async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const saved = await busy(submit, card, () => send(read(card)));
    if (saved) { flash(t("saved")); done(saved, card); }
  } }, h("h2", { text: t(title) }), controls, submit);
  return card;
}

const value = (scope, name) => scope.querySelector(`[name=${name}]`).value.trim();

function detailsForm(store) {
  return settingsCard("store-form", "store_details", [
    h("p", { class: "hint", text: `${t("store_code")} ${store.code} · ${t("time_zone")} ${store.timezone}` }),
    field("store_name", input("name", { required: true, maxlength: 100, value: store.name })),
    field("address", input("address", { maxlength: 200, value: store.address ?? "" })),
    field("phone", input("phone", { type: "tel", maxlength: 20, value: store.phone ?? "" }), t("printed_header_hint"))],
  (card) => ({ name: value(card, "name"), address: value(card, "address") || null, phone: value(card, "phone") || null }),
  (changes) => api.patch(`/v1/stores/${store.id}`, changes),
  (saved, card) => {
    card.querySelector("[name=phone]").value = saved.phone ?? ""; // as the API normalised it
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: saved }));
  });
}

function settingsForm(settings, ctx) {
  return settingsCard("hours-form", "business_hours", [
    h("div", { class: "row" },
      field("opens_at", timeInput("opens_at", { required: true, value: settings.opens_at })),
      field("closes_at", timeInput("closes_at", { required: true, value: settings.closes_at }))),
    h("div", { class: "row" },
      field("slot_capacity", input("slot_capacity", { type: "number", min: 1, max: 100, required: true, value: settings.slot_capacity })),
      field("quote_valid_days", input("quote_valid_days", { type: "number", min: 1, max: 90, required: true, value: settings.quote_valid_days })))],
  (card) => ({ opens_at: value(card, "opens_at"), closes_at: value(card, "closes_at"),
    slot_capacity: Number(value(card, "slot_capacity")), quote_valid_days: Number(value(card, "quote_valid_days")) }),
  (changes) => api.put(`/v1/sales-settings/${ctx.store.id}`, changes),
  () => {});
}

/** Customer care: the call-back's delay after delivery, and the quiet hours (from–until, over midnight when the
 * end is earlier; the same time twice: none) that hold reminders and campaign messages until they end. */
function careForm(settings, ctx) {
  return settingsCard("care-form", "care_settings", [
    field("follow_up_delay_days", input("follow_up_delay_days", { type: "number", min: 0, max: 90, required: true,
      value: settings.follow_up_delay_days })),
    h("div", { class: "row" },
      field("quiet_from", timeInput("quiet_from", { required: true, value: settings.quiet_from })),
      field("quiet_until", timeInput("quiet_until", { required: true, value: settings.quiet_until }))),
    h("p", { class: "hint", text: t("quiet_hours_hint") })],
  (card) => ({ follow_up_delay_days: Number(value(card, "follow_up_delay_days")), quiet_from: value(card, "quiet_from"),
    quiet_until: value(card, "quiet_until") }),
  (changes) => api.patch(`/v1/stores/${ctx.store.id}/crm-settings`, changes),
  () => {});
}

const CATEGORIES = ["class_1", "class_2", "class_3", "none"];

/** The repair shop's registration: its category decides whether settled repairs go to the provincial health
 * record system; its licence (or filing) number is the login of those uploads and its registered name is sent. */
function repairShopForm(settings, ctx) {
  const category = select("repair_category", [["", t("repair_category_unset")],
    ...CATEGORIES.map((c) => [c, t(`repair_category_${c}`)])]);
  category.value = settings.repair_category ?? "";
  return settingsCard("repair-shop-form", "hr_settings", [
    field("repair_category", category, t("hr_category_hint")),
    h("div", { class: "row" },
      field("hr_licence_no", input("repair_licence_no", { maxlength: 40, value: settings.repair_licence_no ?? "" })),
      field("hr_company_name", input("repair_company_name", { maxlength: 100, value: settings.repair_company_name ?? "" }))),
    h("p", { class: "hint", text: t("hr_settings_hint") })],
  (card) => ({ repair_category: value(card, "repair_category") || null,
    repair_licence_no: value(card, "repair_licence_no") || null,
    repair_company_name: value(card, "repair_company_name") || null }),
  (changes) => api.patch(`/v1/stores/${ctx.store.id}/finance-settings`, changes),
  () => {});
}

/** HQ opens a store: its code (never changed), name, address and phone; it joins the store picker. */
function openStoreForm() {
  return settingsCard("new-store-form", "store_open", [
    field("store_code", input("code", { required: true, maxlength: 20 })),
    field("store_name", input("name", { required: true, maxlength: 100 })),
    field("address", input("address", { maxlength: 200 })),
    field("phone", input("phone", { type: "tel", maxlength: 20 }))],
  (card) => ({ code: value(card, "code"), name: value(card, "name"), address: value(card, "address") || null,
    phone: value(card, "phone") || null }),
  (store) => api.post("/v1/stores", store),
  (opened, card) => {
    card.reset();
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: opened }));
  });
}
