/**
 * @module cli/commands/whoami
 * `gigafactory whoami [--json]`: who the CLI's token is on its product (`GET …/whoami`) — the product, the role the
 * API judges it by and what that role may do, how the audit log names its acts, a minted token's id and name (a
 * factory's name and id) — and where the token came from (--token, GIGAFACTORY_TOKEN or the config file `login` wrote), with
 * the coordinator's URL. Never the token. `--json` prints the API's answer as it came. The answer is checked with
 * zod (`WhoamiRead`) before anything renders it, as every read command's is (cli/read-answers); a coordinator too old
 * to have the route is said to be one, not a wrong --url.
 */
import { z } from "zod";
import { coordinatorRefused } from "../../shared/http-client.ts";
import { configPath, type Env, envLayer } from "../config.ts";
import type { Command, Ctx } from "../context.ts";
import { CliError } from "../errors.ts";
import { checkedCall, lineOf } from "../read-answers-policy.ts";
import { renderFields } from "../table.ts";

/**
 * What `whoami` renders, and no more: the role as a string (a newer coordinator's role still shows), the optional
 * ids absent or null alike. Unknown keys allowed, and `--json` prints the answer unstripped.
 */
export const WhoamiRead = z.object({
  product: z.string(),
  role: z.string(),
  actor: z.string(),
  tokenId: z.string().nullish(),
  tokenName: z.string().nullish(),
  factoryId: z.string().nullish(),
  factoryName: z.string().nullish(),
});
export type WhoamiAnswer = z.output<typeof WhoamiRead>;

/** What each role may do, in a line (worker/auth ALLOWED, worker/openapi-params ROLES). */
export const ROLE_MEANS: Readonly<Record<string, string>> = {
  admin: "everything, on every product: the deployment's admin token",
  operator: "reads and writes: submit and act on jobs, settings, fleet, budget, lessons, routing",
  viewer: "read-only: jobs, fleet, history, settings, budget; every write is refused 403",
  factory: "a factory's token: claims and runs jobs, reads only the jobs it holds or held",
};

/** Which layer the token came from, as cli/context `connection` picks it: the flag, then the environment, the file. */
export function tokenSource(flag: string | undefined, env: Env, configFile: string): string {
  if (flag) return "--token";
  if (envLayer(env).token) return "GIGAFACTORY_TOKEN";
  return `the config file ${configFile}`;
}

/**
 * A factory's token's factory as explain's holder line names it: `demo-gpu (fac_0mxc6m72…)` — its name (a factory's
 * token may not read the fleet list, so the answer says it), with the id `factory` commands take; the id alone from
 * a coordinator that does not say the name.
 */
export function factoryLabel(w: Pick<WhoamiAnswer, "factoryId" | "factoryName">): string {
  const id = w.factoryId ?? "";
  return w.factoryName && w.factoryName !== id ? `${w.factoryName} (${id})` : id;
}

/** The human lines of an answer; `source` says where the token came from, `url` the coordinator's base. */
export function formatWhoami(w: WhoamiAnswer, source: string, url: string): string {
  const means = ROLE_MEANS[w.role];
  const token = w.tokenId ? `${w.tokenId}${w.tokenName ? ` (${w.tokenName})` : ""}` : undefined;
  const fields: Array<readonly [string, string]> = [
    ["product", w.product],
    ["role", means ? `${w.role} — ${means}` : w.role],
    ["actor", w.actor],
  ];
  if (token) fields.push(["token", token]);
  if (w.factoryId) fields.push(["factory", factoryLabel(w)]);
  fields.push(["from", source], ["url", url]);
  return renderFields(fields.map(([k, v]) => [k, lineOf(v)] as const));
}

/**
 * The answer to `GET …/whoami`, checked.
 * @throws CliError unsupported — the coordinator has no such route (it predates whoami); bad_response — the answer is
 *   not a whoami; ApiError and the transport's errors as `send`
 */
async function readWhoami(ctx: Ctx): Promise<WhoamiAnswer> {
  try {
    return await checkedCall<WhoamiAnswer>(ctx.client(), "GET", "/whoami", { schema: WhoamiRead, what: "a whoami" });
  } catch (err) {
    // The Worker's own 404 for a path it does not serve (worker/method-not-allowed): the token was accepted first.
    if (coordinatorRefused(err, "not_found") && err.detail.startsWith("no route for "))
      throw new CliError(
        "unsupported",
        "this coordinator has no whoami (it predates it); it accepted the token",
        "upgrade the coordinator; meanwhile `gigafactory tokens` (admin) lists each token's role",
      );
    throw err;
  }
}

export const whoami: Command = {
  path: ["whoami"],
  args: { names: "", min: 0, max: 0 },
  summary: "show who the CLI's token is on its product: role, audit name, token id, where it came from",
  details: [
    "Reads GET …/whoami: the product, the role the API judges the token by (admin, operator, viewer, factory) and",
    "what it may do, the audit log's name for its acts, a minted token's id and name (or a factory's name and id),",
    "then where the token came from (--token, GIGAFACTORY_TOKEN or the config file) and the coordinator's URL.",
    "--json prints the API's answer: {product, role, actor, tokenId?, tokenName?, factoryId?, factoryName?}.",
    "Never the token.",
  ],
  options: {},
  async run(ctx) {
    const answer = await readWhoami(ctx);
    if (ctx.json) ctx.emit(answer);
    else {
      const { url } = ctx.connection();
      const source = tokenSource(ctx.str("token"), ctx.io.env, configPath(ctx.io.env));
      ctx.print(formatWhoami(answer, source, url));
    }
    return 0;
  },
};
