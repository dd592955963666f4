// 车主服务: the messages the stores sent the owner (the car's progress, receipts, quote links, reminders),
// newest first, as they were worded when sent; more on demand. Hash route: #/messages.
import { api } from "./api.js";
import { go, guarded, h, showing } from "./ui.js";
import { MESSAGE_STATES, when } from "./words.js";

function messageLine(message, stores) {
  const store = stores.get(message.store_id);
  return h("div", { class: "line", "data-message": message.template },
    h("div", {}, message.text),
    h("div", { class: "muted" }, [store?.name, when(message.created_at, store?.timezone),
                                  message.channel === "wechat" ? "微信" : "短信",
                                  MESSAGE_STATES[message.status]].filter(Boolean).join(" · ")));
}

async function inbox() {
  const show = showing();
  const answers = await guarded(() => Promise.all([api("GET", "/messages", undefined, { limit: 20 }),
                                                   api("GET", "/stores")]));
  if (!answers) return;
  const [first, storeList] = answers;
  const stores = new Map(storeList.items.map((store) => [store.id, store]));
  const list = h("section", { class: "card", id: "messages" }, h("h2", {}, "门店消息"));
  const more = h("button", { class: "secondary", type: "button", name: "more-messages" }, "查看更早的消息");
  let cursor = null;
  const add = (page) => {
    list.append(...page.items.map((message) => messageLine(message, stores)));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => guarded(async () => {
    add(await api("GET", "/messages", undefined, { limit: 20, cursor }));
  }));
  add(first);
  if (!first.items.length) list.append(h("p", { class: "muted" }, "暂无消息"));
  show("消息", list, more, h("button", { class: "secondary", type: "button", onclick: go("#/cars") }, "返回我的爱车"));
}

export const INBOX_ROUTES = [[/^#\/messages$/, inbox]];
