// Pass 47's leftovers of the pass 46 newcomer walk-through, each red until its fix landed (CLI and agent inputs).
// A product id is checked by one rule wherever it enters (products create's ID, login's --product, the agent's
// --product, GIGAFACTORY_PRODUCT, its config file, enroll's --product): exit 2 naming where it came from, nothing sent.
// An argument that was not UTF-8 (Node reads such bytes as U+FFFD) is refused, exit 2, naming it, by the CLI and the
// agent alike: `tokens mint --name $'\xff'` stored a name of U+FFFD.
// An idempotency key of blanks only is refused: by the API's schemas (manifest key, Idempotency-Key header) and by the
// CLI's --key before sending (a header of blanks went out empty, and the batch was made under no key).
// The agent's --default-engine (or its config file's) names an engine it knows, or `run` stops at start, exit 2,
// listing them; and with no token at all its fix says `enroll` first.
// `batch submit --wait` whose read back fails still says the batch it made (under --json its batchId).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, RUN_FLAGS } from "../../src/agent/cli-args.ts";
import { resolveRunConfig } from "../../src/agent/config.ts";
import { headerKeyProblem } from "../../src/cli/commands/children.ts";
import { ManifestRequestSchema } from "../../src/core/manifest-schema.ts";
import { DerivedKeyHeader, IdempotencyKeyHeader } from "../../src/shared/api.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const TOKEN = `gf_acme_${"a".repeat(43)}`;
const defaults = { stateDir: "/s", hostname: "host1" };
const runFlags = (argv: string[]) => parseArgs(["run", ...argv], { run: RUN_FLAGS }).flags;

/** What `fn` threw, as the agent's and the CLI's FixableError carry it. */
function thrown(fn: () => unknown): { code?: string; message: string; fix?: string; exitCode?: number } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string; fix?: string; exitCode?: number };
  }
  throw new Error("nothing was thrown");
}

/** A stand-in coordinator that answers every request 201 {} and records it: a refusal before sending leaves none. */
async function anyCoordinator() {
  return stubCoordinator((_req, reply) => reply.json(201, { id: "x", createdAt: 1 }));
}

// `gigafactory products create UPPER` was sent and refused `validation_failed: id: …` (exit 1), while `--product UPPER`
// was refused at once naming the flag; login's --product and the agent's --product went out as well.
describe("a product id that is none", () => {
  it("is refused before sending by products create, naming the ID argument", async () => {
    const stub = await anyCoordinator();
    const r = await captureCli(["products", "create", "UPPER", "--url", stub.url, "--token", "adm"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: "UPPER" \(the ID argument\) is not a product id/);
    expect(r.stderr).toContain("upper");
    expect(stub.lines).toEqual([]);
  });

  it("is refused before sending by login's --product and GIGAFACTORY_PRODUCT", async () => {
    const stub = await anyCoordinator();
    const flag = await captureCli(["login", "--url", stub.url, "--token", "adm", "--product", "Demo"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("(--product) is not a product id");
    const env = await captureCli(["login", "--url", stub.url, "--token", "adm"], {
      env: { GIGAFACTORY_PRODUCT: "a b" },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("(GIGAFACTORY_PRODUCT) is not a product id");
    expect(stub.lines).toEqual([]);
  });

  it("is refused by the agent's run, wherever it came from", () => {
    const url = "http://127.0.0.1:8787";
    const flags = runFlags(["--url", url, "--token", TOKEN]);
    const cases: Array<[string, () => unknown]> = [
      ["--product", () => resolveRunConfig({ ...flags, product: "UPPER" }, {}, {}, defaults)],
      ["GIGAFACTORY_PRODUCT", () => resolveRunConfig(flags, { GIGAFACTORY_PRODUCT: "UP" }, {}, defaults)],
      ["the config file's product", () => resolveRunConfig({}, {}, { url, token: TOKEN, product: "Up" }, defaults)],
    ];
    for (const [source, run] of cases) {
      const e = thrown(run);
      expect(e.exitCode, source).toBe(2);
      expect(e.message, source).toContain(`(${source}) is not a product id`);
    }
  });
});

// `gigafactory tokens mint --role viewer --name $'\xff'` minted a token named "\uFFFD": Node decodes argv as UTF-8 and
// puts U+FFFD where a byte is not, and the coordinator took that (a valid character) as the name.
describe("an argument that was not UTF-8", () => {
  it("is refused by the CLI, exit 2, naming the option, before anything is sent", async () => {
    const stub = await anyCoordinator();
    const r = await captureCli([
      "tokens",
      "mint",
      "--role",
      "viewer",
      "--name",
      "caf\ufffd",
      "--url",
      stub.url,
      "--token",
      "adm",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: --name .*not UTF-8/);
    const arg = await captureCli(["lessons", "add", "x\ufffdy", "--url", stub.url, "--token", TOKEN]);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toMatch(/the TEXT argument .*not UTF-8/);
    expect(stub.lines).toEqual([]);
  });

  it("is refused by the agent, naming the flag", () => {
    const e = thrown(() => runFlags(["--engine", "x=run \ufffd"]));
    expect(e.message).toMatch(/--engine .*not UTF-8/);
  });
});

// `"idempotencyKey": "   "` made a job under a key of three blanks; `batch submit --key "   "` sent a header that
// fetch sends empty, and the batch was made under no key at all — the resend the key was for made every job twice.
describe("an idempotency key of blanks only", () => {
  it("is refused by the API's manifest and header schemas", () => {
    const manifest = { title: "t", idempotencyKey: "   " };
    expect(ManifestRequestSchema.safeParse(manifest).success).toBe(false);
    expect(ManifestRequestSchema.safeParse({ ...manifest, idempotencyKey: " k " }).success).toBe(true);
    for (const key of ["   ", "\u00a0"]) {
      expect(IdempotencyKeyHeader.safeParse(key).success, JSON.stringify(key)).toBe(false);
      expect(DerivedKeyHeader.safeParse(key).success, JSON.stringify(key)).toBe(false);
    }
  });

  it("is refused by the CLI's --key before sending, as one a header cannot carry with blanks at its ends", () => {
    expect(headerKeyProblem("   ")).toMatch(/blank/);
    expect(headerKeyProblem(" k")).toMatch(/blank/);
    expect(headerKeyProblem("k")).toBeUndefined();
  });
});

describe("the agent's default engine", () => {
  const base = { url: "http://127.0.0.1:8787", token: TOKEN };
  it("is refused at start when the agent knows no engine of that name, listing those it knows", () => {
    const e = thrown(() => resolveRunConfig(runFlags(["--default-engine", "nosuch"]), {}, base, defaults));
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain("nosuch");
    expect(e.message).toMatch(/claude, codex, sample/);
    const file = thrown(() => resolveRunConfig({}, {}, { ...base, defaultEngine: "gpt" }, defaults));
    expect(file.message).toContain("the config file's defaultEngine");
  });

  it("takes a built-in engine, or one --engine or the config file adds", () => {
    expect(resolveRunConfig(runFlags(["--default-engine", "codex"]), {}, base, defaults).defaultEngine).toBe("codex");
    const own = runFlags(["--default-engine", "mine", "--engine", "mine=echo hi"]);
    expect(resolveRunConfig(own, {}, base, defaults).defaultEngine).toBe("mine");
    const inFile = { ...base, engines: { aider: "aider --yes" }, defaultEngine: "aider" };
    expect(resolveRunConfig({}, {}, inFile, defaults).defaultEngine).toBe("aider");
  });
});

// `gigafactory-agent run` on a fresh host ended `✘ ERROR not_logged_in: no factory token / pass --token gf_…, set
// GIGAFACTORY_FACTORY_TOKEN, or run \`gigafactory-agent enroll --code gfe_…\` first`: a --token given to run is
// stored nowhere (pass 46: the next plain run is refused again); enroll is how a host gets and keeps its token.
describe("an agent run with no token at all", () => {
  it("is told to enroll first", () => {
    const e = thrown(() => resolveRunConfig({}, {}, { url: "http://127.0.0.1:8787" }, defaults));
    expect(e.code).toBe("not_logged_in");
    expect(e.fix).toMatch(/^run `gigafactory-agent enroll/);
  });
});

// `batch submit --wait --json` whose read back failed (no signal) printed only the error document: the batch WAS made
// (the 202 said so), and a script had no batchId to follow it by — so it sent the batch again. The signalled path
// (waitReadFailed) carried it since pass 46; this one now does too, and says not to send it again.
describe("batch submit --wait whose read back fails", () => {
  it("says the batch it made, under --json as the answer beside the error", async () => {
    const accepted = { batchId: "b-9", accepted: 1, jobs: 1, idempotencyKeys: ["k"], items: [], rejected: [] };
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "POST") return reply.json(202, accepted);
      reply.problem(403, { title: "Forbidden", detail: "this needs a viewer token", code: "forbidden" });
    });
    const dir = mkdtempSync(path.join(tmpdir(), "gf-p47-batch-"));
    const file = path.join(dir, "a.md");
    writeFileSync(file, "# a\n");
    const r = await captureCli(["batch", "submit", file, "--wait", "--json", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ batchId: "b-9", accepted: 1, error: { code: "forbidden" } });
    expect(doc.error.message).toContain("b-9");
    expect(doc.error.fix).toMatch(/gigafactory batch b-9/);
    const human = await captureCli(["batch", "submit", file, "--wait", ...connection(stub.url, "shop")]);
    expect(human.stderr).toMatch(/^✘ ERROR forbidden: batch b-9 was made/m);
  });
});
