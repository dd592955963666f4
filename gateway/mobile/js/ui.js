// The phone app's screen helpers: build elements, show a screen, say a short notice, and run an API
// call that words its refusal in Chinese (a lost session goes back to sign-in).
import { ApiError, token } from "./api.js";
import { errorWords } from "./words.js";

const view = document.getElementById("view");
const notice = document.getElementById("notice");
const signOut = document.getElementById("sign-out");

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  node.append(...children.flat().filter((child) => child != null));
  return node;
}

export function say(text) {
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(say.timer);
  say.timer = setTimeout(() => { notice.hidden = true; }, 4000);
}

export function show(title, ...nodes) {
  document.getElementById("title").textContent = title;
  signOut.hidden = !token.get();
  view.replaceChildren(...nodes.filter((node) => node != null));
}

/** The show() of the screen asked for at `asked`: its answers may come after the owner tapped on to another
 * screen (or a newer render of this one was asked for elsewhere), and a screen left behind must not cover the one
 * now on the phone. */
export function showing(asked = location.hash) {
  return (title, ...nodes) => { if (location.hash === asked) show(title, ...nodes); };
}

export async function guarded(work) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && token.get()) {
      token.clear();
      location.hash = "#/login";
    }
    say(error instanceof ApiError ? errorWords(error.code) : "网络异常，请稍后再试");
    return undefined;
  }
}

export function go(hash) {
  return () => { location.hash = hash; };
}
