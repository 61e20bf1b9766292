/**
 * @module shared/scheme-hint
 * The hint for a coordinator URL typed without its scheme — `127.0.0.1:8787`, `localhost:8787` (which the URL parser
 * reads as the scheme `localhost:`), `gf.example.workers.dev` — shared by the CLI's URL check (cli/config) and the
 * agent's (agent/credential-checks), so `--url` typed the same way gets the same way out from both.
 */

/**
 * `; did you mean "http://127.0.0.1:8787"?` for a URL typed without its scheme, else "": http on this machine (the
 * local runtime, `npm start`, listens on loopback over plain http), https elsewhere (a deployed Worker). `shown`
 * renders the suggested URL (the CLI hides a typed password with it). A bare word (`notaurl`) gets no hint: it is no
 * more a host than a URL.
 * @param raw the value as typed @param shown how a URL is echoed (default: as is)
 */
export function schemeHint(raw: string, shown: (url: string) => string = (u) => u): string {
  const host = /^([\w-]+(\.[\w-]+)+|localhost)(:\d+)?(\/|$)/i.test(raw) || /^[\w-]+:\d+(\/|$)/.test(raw);
  if (raw.includes("://") || !host) return "";
  const local = /^(localhost|127\.\d+\.\d+\.\d+)(:|\/|$)/i.test(raw);
  return `; did you mean "${shown(`${local ? "http" : "https"}://${raw}`)}"?`;
}
