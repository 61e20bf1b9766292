/**
 * @module cli/commands/tokens
 * Product-scoped operator and viewer tokens (admin only): list, mint, revoke.
 * A minted token is printed once — the coordinator stores only its hash.
 */
import type { Command } from "../context.ts";
import { usageError } from "../errors.ts";
import { formatInstant, NONE, renderTable } from "../table.ts";

export const tokenCommands: Command[] = [
  {
    path: ["tokens"],
    args: { names: "", min: 0, max: 0 },
    summary: "list the product's operator and viewer tokens (admin)",
    options: {},
    async run(ctx) {
      const tokens = await ctx.client().listTokens();
      if (ctx.json) ctx.emit({ tokens });
      else if (tokens.length === 0)
        ctx.print("no tokens; mint one with `gigafactory tokens mint --role operator --name NAME`");
      else
        ctx.print(
          renderTable(
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
      const t = await ctx.client().mintToken({ role, name });
      if (ctx.json) ctx.emit(t);
      else {
        ctx.print(`✔ Minted ${t.role} token ${t.id} for ${t.name}:\n\n  ${t.token}\n`);
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
      const t = await ctx.client().revokeToken(ctx.positionals[0]!);
      if (ctx.json) ctx.emit(t);
      else ctx.print(`✔ token ${t.id} (${t.role}, ${t.name}) is revoked`);
      return 0;
    },
  },
];
