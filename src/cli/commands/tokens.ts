/**
 * @module cli/commands/tokens
 * Product-scoped operator and viewer tokens (admin only): list, mint, revoke.
 * A minted token is printed once — the coordinator stores only its hash.
 */
import type { TokenInfo } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { usageError } from "../errors.ts";
import { plainNameInput } from "../plain-input.ts";
import {
  checkedCall,
  checkedWrite,
  lineOf,
  lineTable,
  MintedRead,
  TokenRead,
  TokensRead,
} from "../read-answers-policy.ts";
import { formatInstant, NONE } from "../table.ts";

/** The fix's tail after a mint whose answer is not a token: a token may exist that nobody holds. */
const REVOKE_UNSEEN =
  "list them with `gigafactory tokens` and revoke one nobody holds (`gigafactory tokens revoke ID`)";
const CHECK_REVOKED = "list them with `gigafactory tokens` to see whether it is revoked";

export const tokenCommands: Command[] = [
  {
    path: ["tokens"],
    args: { names: "", min: 0, max: 0 },
    summary: "list the product's operator and viewer tokens (admin)",
    options: {},
    async run(ctx) {
      // Read whole: the client's listTokens reads `.tokens` of the answer, a TypeError (a CLI bug) when it is null.
      const read = { schema: TokensRead, what: "a list of tokens" };
      const answer = await checkedCall<{ tokens: TokenInfo[] }>(ctx.client(), "GET", "/tokens", read);
      const { tokens } = answer;
      if (ctx.json)
        ctx.emit(answer); // whole: a newer coordinator's fields beside `tokens` are kept
      else if (tokens.length === 0)
        ctx.print("no tokens; mint one with `gigafactory tokens mint --role operator --name NAME`");
      else
        ctx.print(
          lineTable(
            [
              { header: "ID" },
              { header: "ROLE" },
              { header: "NAME", max: 40 },
              { header: "CREATED" },
              { header: "REVOKED" },
            ],
            tokens.map((t) => [
              t.id,
              t.role,
              t.name,
              formatInstant(t.createdAt),
              t.revokedAt ? formatInstant(t.revokedAt) : NONE,
            ]),
          ),
        );
      return 0;
    },
  },
  {
    path: ["tokens", "mint"],
    args: { names: "", min: 0, max: 0 },
    summary: "mint an operator or viewer token (admin); it is shown once",
    options: {
      role: { type: "string", value: "ROLE", choices: ["operator", "viewer"], help: "operator or viewer (required)" },
      name: { type: "string", value: "NAME", help: "who or what uses it, for the audit log (required)" },
    },
    async run(ctx) {
      const role = ctx.str("role") as "operator" | "viewer" | undefined;
      const name = ctx.str("name");
      if (!role || !name) throw usageError("tokens mint needs --role and --name", "tokens mint");
      // A token minted whose secret is unreadable is of no use to anyone: the fix says how to find it and revoke it.
      const minted = await ctx.client().mintToken({ role, name: plainNameInput(name, "--name", "tokens mint") });
      const t = checkedWrite(MintedRead, minted, "a minted token", REVOKE_UNSEEN);
      if (ctx.json) ctx.emit(t);
      else {
        // The secret is one word (MintedRead); the rest is the server's text, kept on the ✔ line.
        ctx.print(`${lineOf(`✔ Minted ${t.role} token ${t.id} for ${t.name}`)}:\n\n  ${t.token}\n`);
        ctx.print("It is shown once: the coordinator keeps only its hash.");
      }
      return 0;
    },
  },
  {
    path: ["tokens", "revoke"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "revoke a token (admin); it is refused from the next request on",
    options: {},
    async run(ctx) {
      const t = checkedWrite(TokenRead, await ctx.client().revokeToken(ctx.positionals[0]!), "a token", CHECK_REVOKED);
      if (ctx.json) ctx.emit(t);
      else ctx.print(lineOf(`✔ token ${t.id} (${t.role}, ${t.name}) is revoked`));
      return 0;
    },
  },
];
