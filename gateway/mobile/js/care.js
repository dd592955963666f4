// 车主服务 after the work: the invoice and paying its balance by WeChat Pay (H5; JSAPI inside WeChat: wechat.js),
// accepting the car (验收), rating the visit, history per car, service reminders, complaints and marketing consent.
// Also the settlement statement PDF, the membership (tier, points, member cards), and the rating offered as soon
// as crm opened the follow-up. Hash routes: #/invoice/<id>, #/accept/<work order id>, #/rate/<follow-up id>,
// #/history/<vehicle id>, #/me.
import { api, blobOf } from "./api.js";
import { follow } from "./live.js";
import { go, guarded, h, say, showing } from "./ui.js";
import { inWeChat, payInWeChat, wechatSetup } from "./wechat.js";
import { CARD_KINDS, CARD_STATES, COMPLAINT_STATES, INVOICE_STATES, KINDS, SERVICES, TIERS, day, when,
         yuan } from "./words.js";

const OPEN_FOLLOW_UPS = ["scheduled", "due"];

function storeNames(stores) {
  return new Map(stores.items.map((store) => [store.id, store]));
}

function zoneOf(stores, storeId) {
  return stores.get(storeId)?.timezone;
}

// -- an invoice: lines, totals, paid and due; pay the balance -------------------------------------------
function invoiceCard(invoice, store) {
  const lines = invoice.lines.map((line) => h("div", { class: "line", "data-invoice-line": line.description },
    h("div", { class: "name" }, h("span", {}, `${KINDS[line.kind] || ""} · ${line.description}`),
      h("span", { class: "price" }, yuan(line.total_fen)))));
  const row = (words, fen, attr) => h("div", { class: "line total", [attr]: "" }, h("span", {}, words),
                                      h("span", { class: "price" }, yuan(fen)));
  return h("section", { class: "card", "data-invoice": invoice.number },
    h("h2", {}, `结算单 ${invoice.number} `,
      h("span", { class: "badge", "data-invoice-state": invoice.status }, INVOICE_STATES[invoice.status] || "")),
    h("p", { class: "muted" }, `${store?.name || ""} · ${when(invoice.issued_at, store?.timezone)}`),
    ...lines,
    row("合计", invoice.total_fen, "data-total"),
    row("已付", invoice.paid_fen - invoice.refunded_fen, "data-paid"),
    row("待付", invoice.due_fen, "data-due"));
}

function payButton(invoice, back) {
  if (invoice.due_fen <= 0) return null;
  const pay = h("button", { class: "primary", type: "button", name: "pay" }, `微信支付 ${yuan(invoice.due_fen)}`);
  pay.addEventListener("click", () => guarded(async () => {
    pay.disabled = true;
    try {
      if (inWeChat() && (await wechatSetup(invoice.id)).appid) return await payInWeChat(invoice.id, back); // H5 is refused there
      const intent = await api("POST", `/invoices/${invoice.id}/payment-intents`);
      const url = new URL(intent.pay_url);
      url.searchParams.set("redirect_url", `${location.origin}/m/${back}`);
      location.assign(url.toString());
    } finally {
      pay.disabled = false;
    }
  }));
  return pay;
}

async function invoiceScreen(invoiceId) {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", `/invoices/${invoiceId}`), api("GET", "/stores")]));
  if (!answers) return;
  const [invoice, stores] = answers;
  show("结算单", invoiceCard(invoice, storeNames(stores).get(invoice.store_id)),
    payButton(invoice, `#/invoice/${invoice.id}`), statementButton(invoice),
    invoice.vehicle_id ? h("button", { class: "secondary", type: "button", onclick: go(`#/history/${invoice.vehicle_id}`) },
      "返回历史记录") : null);
}

// The printed settlement statement (PDF), fetched with the token and saved or opened by the phone.
function statementButton(invoice) {
  const button = h("button", { class: "secondary", type: "button", name: "statement" }, "下载结算单（PDF）");
  button.addEventListener("click", () => guarded(async () => {
    button.disabled = true;
    try {
      const blob = await blobOf(`/c/v1/invoices/${invoice.id}/statement`);
      const link = h("a", { href: URL.createObjectURL(blob), download: `结算单-${invoice.number}.pdf` });
      document.body.append(link);
      link.click();
      link.remove();
    } finally {
      button.disabled = false;
    }
  }));
  return button;
}

// -- accept the car: its invoice paid in full, then 验收 -------------------------------------------------
async function accept(workOrderId) {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", "/work-orders"), api("GET", "/stores")]));
  if (!answers) return;
  const [orders, storeList] = answers;
  const stores = storeNames(storeList);
  const order = orders.items.find((item) => item.id === workOrderId);
  if (!order) return say("没有找到这条记录");
  const invoices = await guarded(() => api("GET", "/invoices", undefined, { vehicle_id: order.vehicle_id }));
  if (!invoices) return;
  const listed = invoices.items.find((item) => item.work_order_id === workOrderId);
  const invoice = listed && await guarded(() => api("GET", `/invoices/${listed.id}`));
  const store = stores.get(order.store_id);
  if (order.status === "delivered") {
    return show("验收提车", h("section", { class: "card" }, h("h2", {}, "已验收提车"),
      h("p", { class: "muted" }, `${order.accepted_by || ""} · ${when(order.delivered_at, store?.timezone)}`)),
      h("button", { class: "primary", type: "button", onclick: go(`#/car/${order.vehicle_id}`) }, "返回维修进度"));
  }
  const good = h("input", { type: "checkbox", name: "satisfied", checked: true });
  const comment = h("input", { name: "comment", maxlength: "500", placeholder: "想对门店说的话（选填）" });
  const submit = h("button", { class: "primary", type: "button", name: "accept" }, "确认验收提车");
  submit.addEventListener("click", () => guarded(async () => {
    await api("POST", `/work-orders/${workOrderId}/acceptance`, { satisfied: good.checked,
                                                                 comment: comment.value.trim() || null });
    say("验收完成，祝您用车愉快");
    location.hash = `#/car/${order.vehicle_id}`;
    offerRating(order.vehicle_id, workOrderId);
  }));
  const due = !invoice || invoice.due_fen > 0;
  show("验收提车",
    h("section", { class: "card" }, h("h2", {}, `工单 ${order.order_number}`),
      h("p", { class: "muted" }, `${store?.name || ""} · 完工 ${when(order.completed_at, store?.timezone)}`)),
    invoice ? invoiceCard(invoice, store) : h("p", { class: "card muted" }, "结算单还在生成，请稍后刷新"),
    invoice ? payButton(invoice, `#/accept/${workOrderId}`) : null,
    due ? h("p", { class: "muted" }, "付清后即可验收提车") : h("section", { class: "card" },
      h("h2", {}, "验收"), h("label", { class: "check" }, good, "车辆状况良好，施工项目已完成"),
      h("label", {}, "留言"), comment),
    due ? null : submit);
}

// crm opens the visit's follow-up when it hears of the delivery, a moment after the acceptance: ask for it
// briefly and show the car's screen again with the rating button once it is there (no refresh needed).
async function offerRating(vehicleId, workOrderId, tries = 30) {
  const screen = `#/car/${vehicleId}`;
  for (let attempt = 0; attempt < tries && location.hash === screen; attempt += 1) {
    const found = await api("GET", "/follow-ups", undefined, { vehicle_id: vehicleId }).catch(() => null);
    if (found?.items.some((item) => item.work_order_id === workOrderId && OPEN_FOLLOW_UPS.includes(item.status))) {
      if (location.hash === screen && !document.querySelector("[name=to-rate]")) {
        window.dispatchEvent(new HashChangeEvent("hashchange"));
      }
      return;
    }
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
}

// -- rate a visit ----------------------------------------------------------------------------------------
async function rate(followUpId) {
  const show = showing();
  let score = 0;
  const stars = [1, 2, 3, 4, 5].map((value) => h("button", { type: "button", class: "star", "data-score": value,
    "aria-pressed": "false", "aria-label": `${value} 分` }, "★"));
  stars.forEach((star, index) => star.addEventListener("click", () => {
    score = index + 1;
    stars.forEach((other, at) => other.setAttribute("aria-pressed", String(at < score)));
  }));
  const comment = h("textarea", { name: "comment", maxlength: "500", rows: "3", placeholder: "说说您的感受（选填）" });
  const submit = h("button", { class: "primary", type: "button", name: "rate" }, "提交评价");
  submit.addEventListener("click", () => guarded(async () => {
    if (!score) return say("请选择 1 到 5 分");
    const done = await api("POST", `/follow-ups/${followUpId}/rating`, { satisfaction: score,
                                                                        comment: comment.value.trim() || null });
    say(done.complaint_id ? "很抱歉让您失望，门店会尽快联系您处理" : "感谢您的评价");
    location.hash = "#/me";
  }));
  show("评价本次服务", h("section", { class: "card" }, h("h2", {}, "您对本次服务满意吗？"),
    h("div", { class: "stars" }, stars), h("label", {}, "评价"), comment), submit);
}

// -- a car's history: visits, invoices, reminders ----------------------------------------------------------
async function history(vehicleId) {
  const show = showing();
  const answers = await guarded(() => Promise.all([
    api("GET", "/timeline", undefined, { vehicle_id: vehicleId }), api("GET", "/invoices", undefined, { vehicle_id: vehicleId }),
    api("GET", "/reminders"), api("GET", "/stores")]));
  if (!answers) return;
  const [timeline, invoices, reminders, storeList] = answers;
  const stores = storeNames(storeList);
  const visits = timeline.items.filter((step) => step.step === "checked_in").reverse().map((step) =>
    h("button", { class: "line row-button", type: "button", "data-visit": step.document_id,
                  onclick: go(`#/visit/${step.document_id}`) }, h("div", { class: "name" },
      h("span", {}, stores.get(step.store_id)?.name || ""), h("span", { class: "muted" },
        when(step.at, zoneOf(stores, step.store_id)))),
      h("div", { class: "muted" }, "环车照片与签名合同")));
  const bills = invoices.items.map((invoice) => h("button", { class: "line row-button", type: "button",
    "data-history-invoice": invoice.number, onclick: go(`#/invoice/${invoice.id}`) },
    h("div", { class: "name" }, h("span", {}, `${stores.get(invoice.store_id)?.name || ""} · ${invoice.number}`),
      h("span", { class: "price" }, yuan(invoice.total_fen))),
    h("div", { class: "muted" }, `${when(invoice.issued_at, zoneOf(stores, invoice.store_id))} · `
      + (INVOICE_STATES[invoice.status] || ""))));
  const due = reminders.items.filter((item) => item.vehicle_id === vehicleId).map(reminderLine);
  show("历史记录",
    h("section", { class: "card" }, h("h2", {}, "到店记录"), visits.length ? visits : h("p", { class: "muted" }, "暂无")),
    h("section", { class: "card" }, h("h2", {}, "结算单"), bills.length ? bills : h("p", { class: "muted" }, "暂无")),
    h("section", { class: "card" }, h("h2", {}, "保养提醒"), due.length ? due : h("p", { class: "muted" }, "暂无")),
    h("button", { class: "secondary", type: "button", onclick: go(`#/car/${vehicleId}`) }, "返回维修进度"));
}

function reminderLine(item) {
  return h("div", { class: "line", "data-reminder": item.service_type }, h("div", { class: "name" },
    h("span", {}, SERVICES[item.service_type] || "定期保养"), h("span", {}, `${day(item.due_on)} 前`)),
    item.due_km ? h("div", { class: "muted" }, `或行驶至 ${item.due_km.toLocaleString("zh-CN")} 公里`) : null);
}

// -- me: consent, complaints ----------------------------------------------------------------------------
async function me() {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", "/me"), api("GET", "/complaints"), api("GET", "/stores"),
                                                   api("GET", "/vehicles"), api("GET", "/cards")]));
  if (!answers) return;
  const [profile, complaints, storeList, vehicles, cards] = answers;
  const stores = storeNames(storeList);
  const consent = h("input", { type: "checkbox", name: "marketing-consent", checked: profile.marketing_consent });
  consent.addEventListener("change", () => guarded(async () => {
    const saved = await api("PATCH", "/me", { marketing_consent: consent.checked });
    consent.checked = saved.marketing_consent;
    say(saved.marketing_consent ? "已开启服务提醒与优惠消息" : "已关闭服务提醒与优惠消息");
  }));
  const filed = h("section", { class: "card", id: "my-complaints" }, ...complaintLines(complaints, stores));
  const store = h("select", { name: "complaint-store", id: "complaint-store" }, storeList.items.map((s) => h("option", { value: s.id }, s.name)));
  const car = h("select", { name: "complaint-car", id: "complaint-car" }, h("option", { value: "" }, "不涉及车辆"),
    vehicles.items.map((v) => h("option", { value: v.id }, v.plate)));
  const text = h("textarea", { name: "complaint", id: "complaint-text", maxlength: "1000", rows: "3", placeholder: "请描述您遇到的问题" });
  const send = h("button", { class: "primary", type: "button", name: "complain" }, "提交投诉");
  send.addEventListener("click", () => guarded(async () => {
    if (!text.value.trim()) return say("请描述您遇到的问题");
    await api("POST", "/complaints", { store_id: store.value, vehicle_id: car.value || null,
                                       description: text.value.trim() });
    say("投诉已提交，门店会尽快联系您");
    text.value = "";
    await redrawComplaints();
  }));
  show("我的",
    h("section", { class: "card" }, h("h2", {}, profile.name), h("p", { class: "muted" }, profile.mobile),
      h("label", { class: "check" }, consent, "接收服务提醒与优惠消息")),
    membership(profile, cards, stores),
    filed,
    h("section", { class: "card" }, h("h2", {}, "我要投诉"), h("label", { for: "complaint-store" }, "门店"), store,
      h("label", { for: "complaint-car" }, "车辆"), car, h("label", { for: "complaint-text" }, "问题描述"), text, send),
    h("button", { class: "secondary", type: "button", onclick: go("#/cars") }, "返回我的爱车"));
  // only the list is redrawn, after filing or when the store works a complaint (crm.complaint_changed): the form
  // being typed stays as it is
  async function redrawComplaints() {
    const fresh = await api("GET", "/complaints").catch(() => null);
    if (fresh) filed.replaceChildren(...complaintLines(fresh, stores));
  }
  follow(redrawComplaints);
}

function complaintLines(complaints, stores) {
  const lines = complaints.items.map((item) => h("div", { class: "line", "data-complaint": item.status },
    h("div", { class: "name" }, h("span", {}, stores.get(item.store_id)?.name || ""),
      h("span", { class: "badge" }, COMPLAINT_STATES[item.status] || "")),
    h("div", {}, item.description),
    item.resolution ? h("div", { class: "muted", "data-resolution": "" }, `处理结果：${item.resolution}`) : null,
    h("div", { class: "muted" }, when(item.created_at, zoneOf(stores, item.store_id)))));
  return [h("h2", {}, "我的投诉"), ...(lines.length ? lines : [h("p", { class: "muted" }, "暂无投诉")])];
}

// The membership: tier and points (crm), and each member card's balance or services left (finance).
function membership(profile, cards, stores) {
  const cardLine = (card) => h("div", { class: "line", "data-card": card.number },
    h("div", { class: "name" }, h("span", {}, `${card.package_name || CARD_KINDS[card.kind] || ""} · ${card.number}`),
      card.kind === "stored_value" ? h("span", { class: "price", "data-balance": "" }, yuan(card.balance_fen)) : null),
    card.kind === "package" ? card.items.map((item) => h("div", { class: "muted", "data-units": item.service_code },
      `${item.name} 剩 ${item.units_left}/${item.units_total} 次`)) : null,
    h("div", { class: "muted" }, [
      card.kind === "stored_value" && card.bonus_balance_fen ? `含赠送 ${yuan(card.bonus_balance_fen)}` : null,
      card.expires_on ? `${day(card.expires_on)} 到期` : null, `${stores.get(card.store_id)?.name || ""}办理`,
      CARD_STATES[card.status]].filter(Boolean).join(" · ")));
  return h("section", { class: "card", id: "membership" }, h("h2", {}, "会员"),
    h("div", { class: "line total" }, h("span", { "data-tier": profile.tier }, TIERS[profile.tier] || "会员"),
      h("span", { "data-points": String(profile.points) }, `积分 ${profile.points.toLocaleString("zh-CN")}`)),
    cards.items.length ? cards.items.map(cardLine) : h("p", { class: "muted" }, "暂无会员卡"));
}

// -- cards on the home and car screens -----------------------------------------------------------------------
export async function careCards(vehicleId) {
  const query = vehicleId ? { vehicle_id: vehicleId } : undefined;
  const answers = await guarded(() => Promise.all([api("GET", "/work-orders", undefined, query),
    api("GET", "/follow-ups", undefined, query), api("GET", "/reminders")]));
  if (!answers) return [];
  const [orders, followUps, reminders] = answers;
  const ready = orders.items.filter((order) => order.status === "completed").map((order) =>
    h("button", { class: "primary", type: "button", name: "to-accept", onclick: go(`#/accept/${order.id}`) },
      `车辆已完工，去付款并验收（${order.order_number}）`));
  const open = followUps.items.filter((item) => OPEN_FOLLOW_UPS.includes(item.status)).map((item) =>
    h("button", { class: "primary", type: "button", name: "to-rate", onclick: go(`#/rate/${item.id}`) }, "评价本次服务"));
  const due = reminders.items.filter((item) => !vehicleId || item.vehicle_id === vehicleId).slice(0, 3).map(reminderLine);
  return [...ready, ...open,
          due.length ? h("section", { class: "card" }, h("h2", {}, "保养提醒"), due) : null];
}

export function bookingActions(booking) {
  return h("button", { class: "secondary", type: "button", name: "reschedule",
                       onclick: go(`#/reschedule/${booking.id}`) }, "改约");
}

export const CARE_ROUTES = [[/^#\/invoice\/([\w-]+)$/, invoiceScreen], [/^#\/accept\/([\w-]+)$/, accept],
                            [/^#\/rate\/([\w-]+)$/, rate], [/^#\/history\/([\w-]+)$/, history], [/^#\/me$/, me]];
