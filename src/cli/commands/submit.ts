/**
 * @module cli/commands/submit
 * `gigafactory submit FILE.md…`: sends each manifest verbatim as
 * `text/markdown` — the server owns parsing, so the CLI can never disagree
 * with it — up to 8 at a time. One bad file is reported (file + the server's
 * detail) and the rest still go in; the exit code says whether all did.
 */
import { readFile } from "node:fs/promises";
import type { Job } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { CliError, formatError, toCliError } from "../errors.ts";
import { mapLimit } from "../pool.ts";
import { createProgress } from "../progress.ts";
import { renderTable } from "../table.ts";

/** 8 in flight: enough to hide round trips, few enough not to crowd a product's single-writer coordinator. */
const IN_FLIGHT = 8;

type Outcome = { file: string; job: Job; replayed: boolean } | { file: string; error: CliError };

export const submit: Command = {
  path: ["submit"],
  args: { names: "FILE.md…", min: 1, max: 10_000 },
  summary: "submit job manifests (markdown with frontmatter); prints the jobs created",
  options: {},
  async run(ctx) {
    const files = ctx.positionals;
    const client = ctx.client();
    const progress =
      files.length > 1 && !ctx.json ? createProgress(ctx.io.stderr, files.length, ctx.io.stderrIsTTY) : undefined;
    const outcomes = await mapLimit(files, IN_FLIGHT, async (file): Promise<Outcome> => {
      let outcome: Outcome;
      try {
        const markdown = await readManifest(file);
        outcome = { file, ...(await client.submit({ markdown })) };
      } catch (err) {
        const e = toCliError(err);
        // Name the file in the report: with many files the server's detail alone does not say which one.
        outcome = { file, error: new CliError(e.code, `${file}: ${e.message}`, e.fix, e.exitCode) };
      }
      progress?.tick("job" in outcome ? `${file} → ${outcome.job.id}` : `${file} (failed)`, "job" in outcome);
      return outcome;
    });
    progress?.finish();

    const ok = outcomes.filter((o) => "job" in o);
    for (const o of outcomes) if ("error" in o) ctx.io.stderr(`${formatError(o.error)}\n`);
    if (ctx.json) ctx.emit(ok.map((o) => o.job));
    else if (ok.length > 0) {
      const rows = ok.map((o) => [o.job.id, o.job.title, o.job.stage, o.replayed ? "existing" : "created", o.file]);
      ctx.print(
        renderTable(
          [
            { header: "ID" },
            { header: "TITLE", max: 48 },
            { header: "STAGE" },
            { header: "RESULT" },
            { header: "FILE" },
          ],
          rows,
        ),
      );
    }
    const failed = outcomes.length - ok.length;
    if (failed > 0 && files.length > 1) ctx.note(`${ok.length} submitted, ${failed} failed`);
    return failed > 0 ? 1 : 0;
  },
};

async function readManifest(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new CliError("file_unreadable", `cannot read the file (${why})`, "check the path and its permissions");
  }
}
