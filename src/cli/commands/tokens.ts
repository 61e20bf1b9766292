/**
 * @module cli/commands/tokens
 * Product-scoped operator and viewer tokens (admin only): list, mint, revoke.
 * A minted token is printed once — the coordinator stores only its hash — so Ctrl-C while the mint is out waits for
 * the answer and prints it before ending 130 (143 after SIGTERM;
 * commands/secret-interrupt).
 */
import type { TokenInfo } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { usageError } from "../errors.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { plainNameInput } from "../plain-input.ts";
import { inlined } from "../read-answers-ops.ts";
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
import { type SecretWords, sendForSecret } from "./secret-interrupt.ts";

/** The fix's tail after a mint whose answer is not a token: a token may exist that nobody holds. */
const REVOKE_UNSEEN =
  "list them with `gigafactory tokens` and revoke one nobody holds (`gigafactory tokens revoke ID`)";
/**
 * What Ctrl-C or SIGTERM during `tokens mint` says (commands/secret-interrupt): a token minted then is shown, or
 * found and revoked.
 */
function mintWords(role: string, name: string): SecretWords<{ id: string; role: string }> {
  return {
    note: (how) =>
      `${how.by}: the ${role} token for ${name} is being minted; waiting for its answer, which holds the token, ` +
      `shown once; ${how.again} ends at once, and a token it mints is never shown`,
    failure: {
      during: `while the ${role} token for ${name} was being minted`,
      refused: "no token was minted",
      again: "run the command again",
      unknown: "a token may have been minted that nobody has seen",
      unknownFix: `${REVOKE_UNSEEN}, then run the command again`,
    },
    answered: (t) => ({
      came: inlined`${t.role} token ${t.id} was minted, and is shown here once`,
      fix: "keep it now: the coordinator keeps only its hash, and nothing shows it again",
    }),
  };
}
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
    details: [
      "Ctrl-C while the mint is on its way waits for its answer (within --timeout): the token is printed as without",
      "it, then `✘ ERROR interrupted` (exit 130; under --json the answer with `error`); a request that failed after it",
      "says whether a token may have been minted unseen and how to revoke it (under --json {error, failure}). A",
      "second Ctrl-C ends at once.",
      SIGTERM_HELP,
    ],
    options: {
      role: { type: "string", value: "ROLE", choices: ["operator", "viewer"], help: "operator or viewer (required)" },
      name: { type: "string", value: "NAME", help: "who or what uses it, for the audit log (required)" },
    },
    async run(ctx) {
      const role = ctx.str("role") as "operator" | "viewer" | undefined;
      const name = ctx.str("name");
      if (!role || !name) throw usageError("tokens mint needs --role and --name", "tokens mint");
      const body = { role, name: plainNameInput(name, "--name", "tokens mint") };
      // Ctrl-C while the mint is out waits for its answer: the token in it is shown once (commands/secret-interrupt).
      return sendForSecret(
        ctx,
        mintWords(role, body.name),
        // A token minted whose secret is unreadable is of no use to anyone: the fix says how to find it and revoke it.
        async () => checkedWrite(MintedRead, await ctx.client().mintToken(body), "a minted token", REVOKE_UNSEEN),
        (t) => {
          if (!ctx.json) {
            // The secret is one word (MintedRead); the rest is the server's text, kept on the ✔ line.
            ctx.print(`${lineOf(`✔ Minted ${t.role} token ${t.id} for ${t.name}`)}:\n\n  ${t.token}\n`);
            ctx.print("It is shown once: the coordinator keeps only its hash.");
          }
          return t;
        },
      );
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
