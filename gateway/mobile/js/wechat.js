// Paying inside WeChat's own browser (its user agent says MicroMessenger), where WeChat Pay refuses H5 and takes
// JSAPI: the owner's openid first, by WeChat's 网页授权 (snsapi_base: WeChat sends the page back to /m/ with code and
// state, the state checked against the one kept here before leaving), then the intent's getBrandWCPayRequest
// parameters handed to WeixinJSBridge — all at the official account of the invoice's store (its own, else the
// chain's). Outside WeChat, or without that official account configured: H5.
import { api } from "./api.js";
import { say } from "./ui.js";
import { errorWords } from "./words.js";

const PENDING = "autoservice.wechat.pending"; // {invoiceId, back, state} across WeChat's round trip
const PAID_CHECKS = 10; // seconds the page waits for WeChat Pay's notification before showing the invoice again

export const inWeChat = () => /MicroMessenger/i.test(navigator.userAgent);

const setups = new Map(); // invoice id → GET /c/v1/wechat's answer
/** GET /c/v1/wechat once per invoice: the official account of the 网页授权 for its store (null: H5 only) and, in
 * tests and sandboxes only, a script standing in for WeChat's own bridge. */
export async function wechatSetup(invoiceId) {
  if (!setups.has(invoiceId)) {
    const asked = api("GET", `/wechat?invoice_id=${encodeURIComponent(invoiceId)}`);
    setups.set(invoiceId, asked.catch((error) => { setups.delete(invoiceId); throw error; }));
  }
  return setups.get(invoiceId);
}

async function bridge(url) {
  if (window.WeixinJSBridge) return;
  await new Promise((resolve, reject) => {
    if (url) {
      const script = document.createElement("script");
      script.src = url;
      script.onload = resolve;
      script.onerror = reject;
      document.head.append(script);
    } else {
      document.addEventListener("WeixinJSBridgeReady", resolve, { once: true }); // WeChat's own, a moment after load
    }
  });
}

function invoke(params) {
  return new Promise((resolve) => {
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, (answer) => resolve(answer?.err_msg || ""));
  });
}

function again() {
  window.dispatchEvent(new HashChangeEvent("hashchange")); // the screen on the phone, shown afresh
}

/** Pay the invoice's balance by JSAPI; leaves for WeChat's 网页授权 when the owner's openid is not known yet (once:
 * `retried` after coming back). */
export async function payInWeChat(invoiceId, back, retried = false) {
  const { bridge_url: bridgeUrl } = await wechatSetup(invoiceId);
  let intent;
  try {
    intent = await api("POST", `/invoices/${invoiceId}/payment-intents`, { channel: "jsapi" });
  } catch (error) {
    if (error.code !== "wechat_openid_needed" || retried) throw error;
    const started = await api("POST", "/wechat/authorizations", { invoice_id: invoiceId });
    sessionStorage.setItem(PENDING, JSON.stringify({ invoiceId, back, state: started.state }));
    location.assign(started.authorize_url);
    return;
  }
  await bridge(bridgeUrl);
  const result = await invoke(intent.jsapi);
  if (result.endsWith(":cancel")) return say("已取消支付");
  if (!result.endsWith(":ok")) return say("支付未完成，请重试");
  say("支付完成，正在确认…");
  for (let waited = 0; waited < PAID_CHECKS; waited += 1) {
    const now = await api("GET", `/payment-intents/${intent.id}`);
    if (now.status !== "pending") break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  again();
}

/** Back from WeChat's 网页授权 (`/m/?code=…&state=…`): the address put back to the screen paid from, the state
 * compared with the one kept, the code handed to the gateway, and the payment carried on. True when it was. */
export async function returnFromWeChat() {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  if (!code) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", `/m/${pending?.back || location.hash || "#/cars"}`);
  if (!pending || pending.state !== query.get("state")) {
    say(errorWords("wechat_oauth_state"));
    return true;
  }
  await api("POST", "/wechat/openid", { code, state: pending.state, invoice_id: pending.invoiceId });
  await payInWeChat(pending.invoiceId, pending.back, true);
  return true;
}
