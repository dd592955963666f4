// The customer channel's API (/c/v1): the token is kept on the phone; a refusal carries its code.
const TOKEN = "autoservice.customer.token";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || "error";
  }
}

export const token = {
  get: () => localStorage.getItem(TOKEN),
  set: (value) => localStorage.setItem(TOKEN, value),
  clear: () => localStorage.removeItem(TOKEN),
};

export async function api(method, path, body, query) {
  const url = new URL(`/c/v1${path}`, location.origin);
  for (const [key, value] of Object.entries(query || {})) url.searchParams.set(key, value);
  const headers = { "Accept-Language": "zh-CN" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token.get()) headers.Authorization = `Bearer ${token.get()}`;
  const reply = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = reply.status === 204 ? null : await reply.json().catch(() => null);
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

/** A photo or PDF of the customer's own documents (`/c/v1/…`): a blob, since the token cannot ride on an
 * <img> or a link. */
export async function blobOf(url) {
  const reply = await fetch(new URL(url, location.origin), { headers: { Authorization: `Bearer ${token.get()}` } });
  if (!reply.ok) throw new ApiError(reply.status, null);
  return reply.blob();
}
