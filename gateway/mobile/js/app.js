// 车主服务: sign in with mobile + code, my cars, a car's timeline, a quote's per-line decision with an
// on-screen signature, booking a slot and moving it. Hash routes: #/cars, #/car/<id>, #/quote/<id>,
// #/book/<vehicle id>, #/reschedule/<appointment id>, the screens of care.js, visit.js and inbox.js, and
// #/link/<secret> (a link the store sent: signs in for that one quote).
import { api, token } from "./api.js";
import { CARE_ROUTES, bookingActions, careCards } from "./care.js";
import { INBOX_ROUTES } from "./inbox.js";
import { signaturePad } from "./signature.js";
import { follow } from "./live.js";
import { guarded, h, say, show, showing } from "./ui.js";
import { VISIT_ROUTES, picture } from "./visit.js";
import { returnFromWeChat } from "./wechat.js";
import { CONDITIONS, KINDS, QUOTE_STATES, STEPS, when, yuan } from "./words.js";

const signOut = document.getElementById("sign-out");

// -- sign in ------------------------------------------------------------------------------------
function login() {
  const mobile = h("input", { name: "mobile", type: "tel", inputmode: "numeric", maxlength: "11",
                              autocomplete: "tel", placeholder: "请输入手机号" });
  const code = h("input", { name: "code", inputmode: "numeric", maxlength: "6", autocomplete: "one-time-code",
                            placeholder: "6 位验证码" });
  const send = h("button", { type: "button", class: "secondary", name: "send-code" }, "获取验证码");
  send.addEventListener("click", () => guarded(async () => {
    if (!/^1\d{10}$/.test(mobile.value.trim())) return say("请输入 11 位手机号");
    await api("POST", "/auth/code", { mobile: mobile.value.trim() });
    say("验证码已发送");
    send.disabled = true;
    let left = 60;
    const tick = setInterval(() => {
      send.textContent = `${--left} 秒后重发`;
      if (left <= 0) { clearInterval(tick); send.disabled = false; send.textContent = "获取验证码"; }
    }, 1000);
    code.focus();
  }));
  const form = h("form", { class: "card login" },
    h("h2", {}, "手机号登录"),
    h("p", { class: "muted" }, "查看爱车进度、确认报价、在线预约"),
    h("label", {}, "手机号"), mobile,
    h("label", {}, "验证码"), h("div", { class: "row" }, code, send),
    h("button", { type: "submit", class: "primary" }, "登录"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    guarded(async () => {
      const answer = await api("POST", "/auth/login", { mobile: mobile.value.trim(), code: code.value.trim() });
      token.set(answer.access_token);
      const next = sessionStorage.getItem("after-login") || "#/cars";
      sessionStorage.removeItem("after-login");
      if (location.hash === next) route(); // a link opened signed out: the same hash fires no hashchange
      else location.hash = next;
    });
  });
  show("车主服务", form);
}

// -- my cars and bookings ---------------------------------------------------------------------------
async function cars() {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", "/vehicles"), api("GET", "/appointments"),
                                                   api("GET", "/stores"), careCards()]));
  if (!answers) return;
  const [vehicles, bookings, stores, cards] = answers;
  const plates = new Map(vehicles.items.map((car) => [car.id, car.plate]));
  const storeOf = new Map(stores.items.map((store) => [store.id, store]));
  const list = vehicles.items.map((car) => h("button", { class: "card car", type: "button",
                                                         onclick: () => { location.hash = `#/car/${car.id}`; } },
    h("div", { class: "plate" }, car.plate),
    h("div", { class: "muted" }, [car.make, car.model].filter(Boolean).join(" ") || "—")));
  const booked = bookings.items.filter((booking) => booking.state === "booked").map((booking) => {
    const store = storeOf.get(booking.store_id);
    const cancel = h("button", { class: "secondary", type: "button", name: "cancel-booking" }, "取消预约");
    cancel.addEventListener("click", () => guarded(async () => {
      await api("POST", `/appointments/${booking.id}/cancel`);
      say("预约已取消");
      await cars();
    }));
    return h("div", { class: "line", "data-booking": booking.id },
      h("div", { class: "name" }, h("span", { "data-slot-start": booking.slot_start },
                                    `${when(booking.slot_start, store?.timezone)} · ${store?.name || ""}`),
        h("span", { class: "muted" }, plates.get(booking.vehicle_id) || "")),
      h("div", { class: "row" }, bookingActions(booking), cancel));
  });
  show("我的爱车", ...(list.length ? list : [h("p", { class: "card muted" }, "还没有登记车辆，请到店登记")]),
    ...cards,
    booked.length ? h("section", { class: "card" }, h("h2", {}, "我的预约"), booked) : null,
    h("div", { class: "row" },
      h("button", { class: "secondary", type: "button", name: "inbox", onclick: () => { location.hash = "#/messages"; } },
        "消息"),
      h("button", { class: "secondary", type: "button", name: "me", onclick: () => { location.hash = "#/me"; } },
        "我的 · 会员与投诉")));
}

// -- a car's timeline ----------------------------------------------------------------------------------
async function car(vehicleId) {
  const show = showing();
  follow(() => car(vehicleId)); // the timeline moves as the shop works on the car
  const answers = await guarded(() => Promise.all([api("GET", "/timeline", undefined, { vehicle_id: vehicleId }),
                                                   api("GET", "/stores"), careCards(vehicleId)]));
  if (!answers) return;
  const [answer, stores, cards] = answers;
  const zones = new Map(stores.items.map((store) => [store.id, store.timezone]));
  const steps = answer.items.map((step) => h("li", { "data-step": step.step },
    h("div", {}, STEPS[step.step] || step.step),
    h("div", { class: "muted" }, when(step.at, zones.get(step.store_id))),
    step.document_type === "quote" && step.step === "quoted"
      ? h("a", { href: `#/quote/${step.document_id}`, class: "badge" }, "查看报价") : null,
    step.document_type === "visit"
      ? h("a", { href: `#/visit/${step.document_id}`, class: "badge", name: "to-visit" }, "环车照片与合同") : null));
  show("维修进度",
    h("section", { class: "card" }, h("h2", {}, "进度"),
      steps.length ? h("ol", { class: "timeline" }, steps) : h("p", { class: "muted" }, "暂无进度")),
    ...cards,
    h("button", { class: "primary", type: "button", onclick: () => { location.hash = `#/book/${vehicleId}`; } },
      "预约到店"),
    h("div", { class: "row actions" },
      h("button", { class: "secondary", type: "button", name: "history",
                    onclick: () => { location.hash = `#/history/${vehicleId}`; } }, "历史记录与结算单"),
      h("button", { class: "secondary", type: "button", onclick: () => { location.hash = "#/cars"; } }, "返回我的爱车")));
}

// -- a quote: approve or decline each line, sign ------------------------------------------------------
async function quote(quoteId) {
  const show = showing();
  const found = await guarded(() => api("GET", `/quotes/${quoteId}`));
  if (!found) return;
  const open = found.state === "presented";
  const choices = new Map(found.lines.map((line) => [line.id, line.decision === "pending" ? null : line.decision]));
  const total = h("span", { class: "price", "data-approved-total": "" });
  const refresh = () => {
    const sum = found.lines.filter((line) => choices.get(line.id) === "approved")
      .reduce((acc, line) => acc + line.total_fen, 0);
    total.textContent = yuan(sum);
  };
  const lines = found.lines.map((line) => {
    const choice = (value, words) => {
      const input = h("input", { type: "radio", name: `line-${line.id}`, value, disabled: !open,
                                 checked: choices.get(line.id) === value });
      const label = h("label", {}, input, words);
      input.addEventListener("change", () => {
        choices.set(line.id, value);
        label.parentElement.querySelectorAll("label").forEach((other) => other.className = "");
        label.className = value === "approved" ? "on-approve" : "on-decline";
        refresh();
      });
      if (choices.get(line.id) === value) label.className = value === "approved" ? "on-approve" : "on-decline";
      return label;
    };
    return h("div", { class: "line", "data-line": line.description },
      h("div", { class: "name" }, h("span", {}, `${KINDS[line.kind] || ""} · ${line.description}`),
        h("span", { class: "price" }, yuan(line.total_fen))),
      h("div", { class: "choice" }, choice("approved", "同意"), choice("declined", "不需要")));
  });
  refresh();
  const pad = open ? signaturePad() : null;
  const submit = h("button", { class: "primary", type: "button", name: "submit-decision" }, "确认并提交");
  submit.addEventListener("click", () => guarded(async () => {
    if ([...choices.values()].some((value) => value === null)) return say("请对每个项目选择同意或不需要");
    const ids = (wanted) => [...choices].filter(([, value]) => value === wanted).map(([id]) => id);
    submit.disabled = true;
    try {
      await api("POST", `/quotes/${quoteId}/decision`, { approved_line_ids: ids("approved"),
        declined_line_ids: ids("declined"), signature_png: pad.isEmpty() ? null : pad.png() });
      say("已提交，门店会尽快为您安排");
      await quote(quoteId);
    } finally {
      submit.disabled = false;
    }
  }));
  show(`报价 ${found.number}`, findingsCard(found.findings),
    h("section", { class: "card" },
      h("h2", {}, h("span", { class: "badge", "data-state": found.state }, QUOTE_STATES[found.state] || "")),
      ...lines,
      h("div", { class: "line total" }, h("span", {}, "报价合计"), h("span", { class: "price" }, yuan(found.totals.total_fen))),
      h("div", { class: "total" }, h("span", {}, "已同意"), total)),
    open ? h("section", { class: "card" }, h("h2", {}, "请签名"), pad.canvas,
      h("button", { class: "secondary", type: "button", onclick: () => pad.clear() }, "重写")) : null,
    open ? submit : h("p", { class: "muted", "data-signed": String(found.signed) }, found.signed
      ? `您已签名确认${found.signature?.matches ? "，报价与签名时一致" : "，签名后报价有变更，请联系门店"}` : "报价已确认"));
}

// The inspection findings a quote was opened for, each with the technician's photos (tap: full size).
function findingsCard(findings) {
  if (!findings?.length) return null;
  const shot = (attachment) => picture(attachment.thumbnail_url || attachment.url, attachment.url, "检查照片",
                                       { "data-attachment": attachment.id });
  return h("section", { class: "card", id: "findings" }, h("h2", {}, "检查发现"),
    findings.map((finding) => h("div", { class: "finding", "data-finding": finding.id },
      h("div", { class: "name" }, h("span", { class: `badge cond-${finding.condition}` }, CONDITIONS[finding.condition] || ""),
        h("span", {}, `${finding.item}${finding.notes ? ` · ${finding.notes}` : ""}`)),
      h("div", { class: "thumbs" }, finding.photos.map(shot)))));
}

// -- book a slot ----------------------------------------------------------------------------------
async function book(vehicleId, moving = null) {
  const show = showing();
  const stores = await guarded(() => api("GET", "/stores"));
  if (!stores) return;
  const offered = moving ? stores.items.filter((s) => s.id === moving.store_id) : stores.items;
  const store = h("select", { name: "store", id: "book-store" }, offered.map((s) => h("option", { value: s.id }, s.name)));
  const zone = () => stores.items.find((s) => s.id === store.value)?.timezone || "Asia/Shanghai";
  const tomorrow = new Date(Date.now() + 86400000).toLocaleDateString("sv-SE", { timeZone: zone() });
  const day = h("input", { type: "date", name: "date", id: "book-date", value: tomorrow, min: tomorrow });
  const slots = h("div", { class: "slots", role: "group", "aria-labelledby": "book-slots" });
  let chosen = null;
  let asked = 0;
  const load = () => guarded(async () => {
    chosen = null;
    const mine = ++asked;
    const answer = await api("GET", "/slots", undefined, { store_id: store.value, date: day.value });
    if (mine !== asked) return;  // another store or day was picked meanwhile: its slots are shown
    slots.replaceChildren(...answer.items.map((slot) => {
      const time = new Date(slot.slot_start).toLocaleTimeString("zh-CN", { timeZone: zone(),
        hour: "2-digit", minute: "2-digit", hour12: false });
      const button = h("button", { type: "button", disabled: slot.free < 1, "aria-pressed": "false",
                                   "data-slot": slot.slot_start }, time, h("div", { class: "muted" },
                                   slot.free < 1 ? "已约满" : `余 ${slot.free}`));
      button.addEventListener("click", () => {
        slots.querySelectorAll("button").forEach((other) => other.setAttribute("aria-pressed", "false"));
        button.setAttribute("aria-pressed", "true");
        chosen = slot.slot_start;
      });
      return button;
    }));
    if (!answer.items.length) slots.replaceChildren(h("p", { class: "muted" }, "当天没有可预约的时段"));
  });
  store.addEventListener("change", load);
  day.addEventListener("change", load);
  const submit = h("button", { class: "primary", type: "button", name: "book" }, moving ? "确认改约" : "确认预约");
  submit.addEventListener("click", () => guarded(async () => {
    if (!chosen) return say("请选择时段");
    if (moving) {
      await api("POST", `/appointments/${moving.id}/reschedule`, { slot_start: chosen });
      say("改约成功，期待您到店");
      location.hash = "#/cars";
      return;
    }
    await api("POST", "/appointments", { store_id: store.value, vehicle_id: vehicleId, slot_start: chosen,
                                         services: ["保养"] });
    say("预约成功，期待您到店");
    location.hash = `#/car/${vehicleId}`;
  }));
  show(moving ? "改约" : "预约到店", h("section", { class: "card" }, h("label", { for: "book-store" }, "门店"), store,
    h("label", { for: "book-date" }, "日期"), day, h("p", { class: "label", id: "book-slots" }, "时段"), slots),
    submit);
  await load();
}

async function reschedule(appointmentId) {
  const bookings = await guarded(() => api("GET", "/appointments"));
  const moving = bookings?.items.find((booking) => booking.id === appointmentId && booking.state === "booked");
  if (!moving) return bookings && say("没有找到这条记录");
  await book(moving.vehicle_id, moving);
}

// -- a link the store sent: a session for its one document -------------------------------------------
async function openLink(secret) {
  const answer = await guarded(() => api("POST", "/auth/link", { token: secret }));
  if (!answer) return login();
  token.set(answer.access_token);
  location.replace(`#/${answer.document_type}/${answer.document_id}`);
}

// -- routing --------------------------------------------------------------------------------------
const ROUTES = [[/^#\/car\/([\w-]+)$/, car], [/^#\/quote\/([\w-]+)$/, quote], [/^#\/book\/([\w-]+)$/, book],
                [/^#\/reschedule\/([\w-]+)$/, reschedule], [/^#\/cars$/, cars], ...CARE_ROUTES,
                ...VISIT_ROUTES, ...INBOX_ROUTES];

function route() {
  const link = location.hash.match(/^#\/link\/([\w-]+)$/);
  if (link) return openLink(link[1]);
  if (!token.get()) {
    if (location.hash && location.hash !== "#/login") sessionStorage.setItem("after-login", location.hash);
    return login();
  }
  for (const [pattern, screen] of ROUTES) {
    const match = location.hash.match(pattern);
    if (match) return screen(...match.slice(1));
  }
  location.hash = "#/cars";
}

signOut.addEventListener("click", () => { token.clear(); location.hash = "#/login"; route(); });
window.addEventListener("hashchange", route);
if (token.get()) guarded(returnFromWeChat); // back from WeChat's 网页授权: puts the screen's address back at once
route();
