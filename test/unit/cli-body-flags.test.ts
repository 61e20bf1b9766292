// A coordinator's refusal of a request body is said with the flag the user typed, not the API's field: `requeue
// --budget-usd 0.0000001` refused as "body.budgetUsd: Too small" reads "--budget-usd: Too small" (text and --json),
// `factory enroll --cap` items as --cap[N], over a real local socket; a field no flag of the command sent (a manifest's)
// and any other refusal keep the server's words (cli/body-flags, the one place for every command that sends a body).
// `routing experiment start`'s --class (jobClass) and its guardrail's --metric, --margin and --confidence (nested in
// the body) are named as typed too, and a field a positional argument sent by that argument's name (`lessons add`'s
// TEXT for body.text, `budget set`'s CEILING_USD for body.ceilingUsd).
import { describe, expect, it } from "vitest";
import { withFlagNames } from "../../src/cli/body-flags.ts";
import { CliError } from "../../src/cli/errors.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

/** A stand-in refusing every request with `detail`, as worker/problem `fromZod` words a refused body. */
async function refusing(detail: string, code = "validation_failed") {
  return stubCoordinator((_req, reply) => reply.problem(400, { title: "Bad request", detail, code }));
}

describe("a refused body's field said as the command's flag", () => {
  it("requeue --budget-usd: the refusal names --budget-usd, in the ✘ line and the --json document", async () => {
    const { url } = await refusing("body.budgetUsd: Too small: expected number to be >0.000001");
    const r = await captureCli(["requeue", "J1", "--budget-usd", "0.000001", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR validation_failed: --budget-usd: Too small: expected number to be >0\.000001 \//,
    );
    expect(r.stderr).not.toContain("budgetUsd");
    const j = await captureCli(["requeue", "J1", "--budget-usd", "0.000001", "--json", ...connection(url, "shop")]);
    const doc = JSON.parse(j.stdout) as { error: { message: string } };
    expect(doc.error.message).toBe("--budget-usd: Too small: expected number to be >0.000001");
  });

  it("a field whose flag is spelt otherwise (--cap) and an item of it (--cap[1])", () => {
    const spec = {
      options: { cap: { type: "string" as const, help: "" }, seats: { type: "string" as const, help: "" } },
    };
    const e = new CliError("validation_failed", "body.capabilities.1: Invalid string (and 1 more)", "fix it", 1);
    expect(withFlagNames(e, spec).message).toBe("--cap[1]: Invalid string (and 1 more)");
    const seats = new CliError("validation_failed", "body.seats: Too big", "fix it", 1);
    expect(withFlagNames(seats, spec).message).toBe("--seats: Too big");
    expect(withFlagNames(seats, spec).fix).toBe("fix it");
    const limit = new CliError("validation_failed", "body.seatLimit: Too big", "fix it", 1);
    expect(withFlagNames(limit, spec).message).toBe("--seats: Too big");
    // A query's field (`jobs --stage`) is said the same way.
    const stage = new CliError("validation_failed", "query.seats: Invalid option", "fix it", 1);
    expect(withFlagNames(stage, spec).message).toBe("--seats: Invalid option");
  });

  it("keeps the API's words for a field no flag sent, and for any other refusal", () => {
    const spec = { options: { note: { type: "string" as const, help: "" } } };
    const manifest = new CliError("validation_failed", "body.repo.url: Invalid URL", "fix it", 1);
    expect(withFlagNames(manifest, spec)).toBe(manifest);
    const other = new CliError("conflict", "body.note: something", "fix it", 1);
    expect(withFlagNames(other, spec)).toBe(other);
  });

  it("routing experiment start: --class (jobClass) and the guardrail's --metric, nested in the body", async () => {
    const { url } = await refusing("body.jobClass: must be a job class: capabilities joined by commas");
    const start = ["routing", "experiment", "start", "--class", "lang:rust|docs", ...connection(url, "shop")];
    const r = await captureCli(start);
    expect(r.stderr).toMatch(/^✘ ERROR validation_failed: --class: must be a job class/);
    const spec = {
      options: Object.fromEntries(
        ["class", "metric", "margin", "confidence", "split", "min-samples"].map((o) => [
          o,
          { type: "string" as const, help: "" },
        ]),
      ),
    };
    const said = (detail: string) => withFlagNames(new CliError("validation_failed", detail, "fix", 1), spec).message;
    expect(said('body.guardrail.metric: Invalid option: expected one of "success_rate"|"cost"')).toBe(
      '--metric: Invalid option: expected one of "success_rate"|"cost"',
    );
    expect(said("body.guardrail.confidence: Too big")).toBe("--confidence: Too big");
    expect(said("body.minSamples: Too small")).toBe("--min-samples: Too small");
    // A nested field no flag sent keeps the API's name.
    expect(said("body.arms.A.rules.0.factoryId: unknown factory")).toBe(
      "body.arms.A.rules.0.factoryId: unknown factory",
    );
  });

  it("a field a positional argument sent is said by that argument's name: TEXT, CEILING_USD", async () => {
    const { url } = await refusing("body.text: at most 2000 bytes of UTF-8");
    const r = await captureCli(["lessons", "add", "run the linter first", ...connection(url, "shop")]);
    expect(r.stderr).toMatch(/^✘ ERROR validation_failed: TEXT: at most 2000 bytes of UTF-8 \//);
    const args = { names: "PERIOD CEILING_USD", min: 2, max: 2 };
    const said = (detail: string) =>
      withFlagNames(new CliError("validation_failed", detail, "fix", 1), { options: {}, args }).message;
    expect(said("body.ceilingUsd: Too big")).toBe("CEILING_USD: Too big");
    expect(said("body.onExhausted: Invalid option")).toBe("body.onExhausted: Invalid option");
  });
});
