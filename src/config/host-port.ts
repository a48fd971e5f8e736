/** The listen addresses of the configuration (CADENCE_STATUS_ADDR, CADENCE_WEBHOOK_ADDR). */

/** The default bind address: a server is reachable from this host only unless an address says otherwise. */
export const DEFAULT_STATUS_HOST = '127.0.0.1';

/**
 * "host:port" → its parts; IPv6 literals may be given in brackets. A bare port (`9464` or `:9464`)
 * binds to 127.0.0.1: reachable from other hosts only when an address says so.
 */
export function parseHostPort(addr: string): { host: string; port: number } {
  const trimmed = addr.trim();
  const bare = /^:?(\d{1,5})$/.exec(trimmed);
  const m = bare ? [trimmed, DEFAULT_STATUS_HOST, bare[1]] : /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(trimmed);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid status address "${addr}": expected host:port (e.g. 127.0.0.1:9464) or a port (bound to 127.0.0.1)`);
  return { host: m[1]!, port };
}
