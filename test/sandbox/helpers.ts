import type { Sandbox } from '../../sandbox/server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** One raw HTTP call to the sandbox with the API token (tests assert on the wire, not on a client). */
export async function api(sb: Sandbox, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const res = await fetch(sb.url + path, {
    method,
    headers: { 'x-api-token': sb.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Follows next_cursor to the end, returning every page's ids. */
export async function walk(sb: Sandbox, path: string, onPage?: (page: number) => Promise<void>): Promise<{ pages: number[][]; ids: number[] }> {
  const pages: number[][] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r = await api(sb, 'GET', path + (cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''));
    if (r.status !== 200) throw new Error(`walk ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    pages.push((r.json.data as Array<{ id: number }>).map((x) => x.id));
    cursor = (r.json.additional_data as { next_cursor: string | null }).next_cursor;
    if (onPage) await onPage(pages.length);
  } while (cursor);
  return { pages, ids: pages.flat() };
}
