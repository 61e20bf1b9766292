/**
 * @module shared/foreign-token
 * Tokens of other services, told by their published shapes: a GitHub token (`ghp_…`, `github_pat_…`) or another
 * service's key pasted where a Gigafactory token belongs. Such a token names no product, so it was taken for the
 * admin token (any string the operator chose: worker/auth) and sent to the coordinator as a bearer — another
 * service's secret handed to ours, and refused with a 401 that said nothing of why. Refused before sending instead,
 * naming the service and never the secret (cli/token-shape and dashboard/token-shape, its mirror, both say it).
 * Only shapes no operator would choose as an admin secret: a prefix the service documents, with its length.
 */

/** Each service's shape, with what it is called in a refusal (prefix only, never more of the token). */
const SHAPES: ReadonlyArray<{ shape: RegExp; what: string }> = [
  { shape: /^gh[pousr]_[A-Za-z0-9]{30,}$/, what: "a GitHub token" },
  { shape: /^github_pat_[A-Za-z0-9_]{30,}$/, what: "a GitHub fine-grained token" },
  { shape: /^glpat-[A-Za-z0-9_-]{20,}$/, what: "a GitLab token" },
  { shape: /^xox[abposr]-[A-Za-z0-9-]{10,}$/, what: "a Slack token" },
  { shape: /^npm_[A-Za-z0-9]{36}$/, what: "an npm token" },
  { shape: /^sk-ant-[A-Za-z0-9_-]{20,}$/, what: "an Anthropic API key" },
  { shape: /^sk-(proj-)?[A-Za-z0-9_-]{20,}$/, what: "an OpenAI API key" },
  { shape: /^AKIA[0-9A-Z]{16}$/, what: "an AWS access key id" },
];

/**
 * What `token` (trimmed) is when its shape is another service's, as a clause naming that service and the token's
 * first characters only (`it is a GitHub token (ghp_…), not a Gigafactory token`), else undefined.
 */
export function foreignTokenProblem(token: string): string | undefined {
  const t = token.trim();
  const hit = SHAPES.find((s) => s.shape.test(t));
  if (!hit) return undefined;
  // The service's own prefix (`github_pat_`, `sk-ant-`), none of the secret after it.
  const head = /^[A-Za-z]+[_-](?:pat_|ant-|proj-)?/.exec(t)?.[0] ?? t.slice(0, 4);
  return `it is ${hit.what} (${head}…), not a Gigafactory token`;
}
