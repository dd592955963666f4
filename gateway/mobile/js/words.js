// The phone app's words, Chinese first; an API refusal is worded from its error code.
export const STEPS = {
  checked_in: "已到店接车", quoted: "报价已出", approved: "已确认全部项目", partially_approved: "已确认部分项目",
  declined: "已拒绝报价", order_confirmed: "已签单", work_started: "开始施工", waiting_parts: "等待配件",
  qc_passed: "质检通过", ready: "车辆已完工，可取车", delivered: "已交车", cancelled: "已取消",
};
export const QUOTE_STATES = {
  presented: "待您确认", approved: "已确认", partially_approved: "已部分确认", declined: "已拒绝",
  contracted: "已签单", expired: "已过期",
};
export const INVOICE_STATES = { issued: "待付款", partially_paid: "部分已付", paid: "已付清" };
export const COMPLAINT_STATES = { open: "待处理", in_progress: "处理中", resolved: "已解决", closed: "已关闭" };
export const SERVICES = {
  "OIL-CHG": "机油保养", "AIR-FLT": "空气滤芯", "CABIN-FLT": "空调滤芯", "SPARK-4": "火花塞", "BRK-FLUID": "刹车油更换",
  "COOLANT-CHG": "防冻液", "AC-SVC": "空调保养", "TYRE-ROT": "轮胎换位",
};
export const KINDS = { labour: "工时", part: "配件", fee: "费用" };
export const POSITIONS = {
  front_left: "左前", front: "正前", front_right: "右前", right: "右侧", rear_right: "右后", rear: "正后",
  rear_left: "左后", left: "左侧", interior: "车内", dashboard: "仪表",
};
export const DAMAGE = { scratch: "划痕", dent: "凹陷", crack: "裂纹", chip: "掉漆点", paint: "漆面", missing: "缺件",
                        other: "其他损伤" };
export const STAGES = { check_in: "接车", delivery: "交车" };
export const TIERS = { standard: "普通会员", silver: "银卡会员", gold: "金卡会员", platinum: "白金卡会员" };
export const CARD_KINDS = { stored_value: "储值卡", package: "套餐卡" };
export const CARD_STATES = { active: "可用", cancelled: "已注销" };
export const MESSAGE_STATES = { queued: "发送中", sent: "已发送", delivered: "已送达", failed: "发送失败" };
export const CONDITIONS = { red: "需立即处理", yellow: "建议尽快处理", green: "良好" };
const ERRORS = {
  code_invalid: "验证码不正确或已过期",
  code_locked: "验证码输错次数过多，请稍后重新获取",
  code_requests_limited: "获取验证码太频繁，请稍后再试",
  link_invalid: "链接无效、已过期或已被门店撤销，请用手机号登录",
  forbidden: "此链接只能查看对应的报价",
  rate_limited: "操作太频繁，请稍后再试",
  unauthorized: "登录已失效，请重新登录",
  not_found: "没有找到这条记录",
  validation_failed: "填写的内容有误，请检查",
  slot_full: "该时段已约满，请换个时段",
  already_booked: "这辆车在该时段已有预约",
  slot_outside_opening_hours: "该时段不在门店营业时间内",
  appointment_started: "预约时段已开始，不能在线取消，请联系门店",
  conflict: "当前状态不能这样操作，请刷新",
  quote_state: "这份报价已经确认过了",
  decision_incomplete: "请对每个项目选择同意或不需要",
  service_unavailable: "服务繁忙，请稍后再试",
  invoice_state: "这张结算单已付清",
  payment_provider_unavailable: "微信支付暂时无法使用，请稍后再试",
  payment_provider_refused: "微信支付未能下单，请稍后再试",
  wechat_openid_needed: "需要先完成微信授权才能在微信内支付，请重试",
  wechat_oauth_state: "微信授权已失效，请重新点击支付",
  wechat_oauth_refused: "微信授权未通过，请重新点击支付",
  wechat_oauth_unavailable: "微信授权暂时无法使用，请稍后再试",
  delivery_balance_open: "结算单还未付清，付清后才能验收提车",
  work_order_state: "车辆还未完工或已经验收",
  follow_up_state: "这次服务已经评价过了",
  appointment_state: "这条预约已取消或已到店，不能改约",
};
export function errorWords(code) {
  return ERRORS[code] || "出错了，请稍后再试";
}
export function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100).toLocaleString("zh-CN")}.${String(abs % 100).padStart(2, "0")}`;
}
const STORE_ZONE = "Asia/Shanghai";
// The staff console's one format, on the store's clock: 2026-12-06 14:03 for a moment, 2026-12-06 for a day.
export function when(iso, zone) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone || STORE_ZONE, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso));
  const c = Object.fromEntries(parts.map((part) => [part.type, part.value]));
  return `${c.year}-${c.month}-${c.day} ${c.hour}:${c.minute}`;
}
export function day(isoDate) {
  return isoDate.slice(0, 10);
}
