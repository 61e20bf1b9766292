/**
 * @module shared/fetch-bad-ports
 * The ports the Fetch standard blocks (its "bad port" list, https://fetch.spec.whatwg.org/#port-blocking): Node's
 * fetch and WebSocket (undici) refuse a request to one before connecting, with a cause of "bad port". The local
 * runtime listens there and answers curl, so `PORT=6000 npm start` waited a minute for a health probe that was never
 * sent and then blamed the install, and the CLI and the agent said the coordinator was unreachable (pass 46 newcomer).
 * Each entry point refuses such a port at once instead: npm start/dev's PORT, the CLI's and the agent's --url.
 * The list is the standard's as of 2026 (undici 7 carries the same); it only grows, rarely.
 */

/** The Fetch standard's bad ports (TCP port numbers). */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** What a refusal of such a port says after the URL or variable it names. */
export const BAD_PORT_WHY =
  "is a port Node's fetch refuses to reach (the Fetch standard's bad ports: 6000, 6665–6669, …)";

/**
 * The port `u` reaches (its scheme's default, 80 or 443, when none is written) when fetch blocks it; else undefined.
 * @param u an http(s) URL
 */
export function blockedPortOf(u: URL): number | undefined {
  const port = u.port ? Number(u.port) : u.protocol === "https:" || u.protocol === "wss:" ? 443 : 80;
  return FETCH_BAD_PORTS.has(port) ? port : undefined;
}
