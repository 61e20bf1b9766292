/**
 * @module cli/commands/enrollment-codes
 * The product's one-time enrollment codes (operator): `enrollment-codes` lists those that can still be exchanged —
 * by id, never the code, which the coordinator keeps only as a hash — and `enrollment-codes revoke ID` revokes one,
 * so a code pasted into the wrong place stops working at once instead of when it expires.
 */
import { coordinatorRefused } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { CliError } from "../errors.ts";
import { checked } from "../read-answers.ts";
import { EnrollmentCodeRevokedRead, EnrollmentCodesRead, inlined, inlineRows } from "../read-answers-ops.ts";
import { formatInstant, NONE, orNone, renderTable } from "../table.ts";

export const enrollmentCodeCommands: Command[] = [
  {
    path: ["enrollment-codes"],
    args: { names: "", min: 0, max: 0 },
    summary: "list the enrollment codes that can still be exchanged (operator); never the codes themselves",
    options: {},
    async run(ctx) {
      const listed = { codes: await ctx.client().listEnrollmentCodes() };
      const { codes } = checked(EnrollmentCodesRead, listed, "a list of enrollment codes");
      if (ctx.json) ctx.emit({ codes });
      else if (codes.length === 0) ctx.print("no live enrollment codes; mint one with `gigafactory enroll NAME`");
      else
        ctx.print(
          renderTable(
            [
              { header: "ID" },
              { header: "FOR HOST", max: 40 },
              { header: "SEATS" },
              { header: "MINTED BY", max: 40 },
              { header: "CREATED" },
              { header: "EXPIRES" },
            ],
            inlineRows(
              codes.map((c) => [
                c.id,
                c.name ?? NONE,
                orNone(c.seats),
                c.mintedBy ?? NONE,
                formatInstant(c.createdAt),
                formatInstant(c.expiresAt),
              ]),
            ),
          ),
        );
      return 0;
    },
  },
  {
    path: ["enrollment-codes", "revoke"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "revoke an enrollment code (operator); its exchange is refused from now on",
    options: {},
    async run(ctx) {
      const id = ctx.positionals[0]!;
      const r = await ctx
        .client()
        .revokeEnrollmentCode(id)
        .catch((err: unknown) => {
          // The generic not_found advice names jobs and factories; a code is gone once used or expired anyway. Another
          // server's 404 naming `not_found` (a wrong --url) is said as another server's (cli/foreign-fix).
          if (!coordinatorRefused(err, "not_found")) throw err;
          throw new CliError(
            "not_found",
            `no enrollment code ${id} in this product (a used or long-expired code is deleted: nothing to revoke)`,
            "`gigafactory enrollment-codes` lists the codes that can still be exchanged",
          );
        });
      checked(EnrollmentCodeRevokedRead, r, "a revoked enrollment code");
      if (ctx.json) ctx.emit(r);
      else if (r.changed)
        ctx.print(inlined`✔ enrollment code ${r.id} is revoked; exchanging it is refused from now on`);
      else ctx.print(inlined`enrollment code ${r.id} was already ${r.state}: nothing changed`);
      return 0;
    },
  },
];
