// Ctrl-C (SIGINT) while `gigafactory tokens mint`'s one POST is out, in-process (an Io whose onInterrupt the test
// presses while a stand-in coordinator on a real local socket holds the POST): the first Ctrl-C says the answer holds
// the token, shown once, and waits for it; the answer prints exactly as without Ctrl-C, then `✘ ERROR interrupted`
// (exit 130) says to keep it now — under --json the minted token with `error`. A request that fails after it says a
// token may have been minted that nobody has seen and how to find and revoke it — `{error, failure}` under --json; the
// coordinator's refusal says none was minted. It ended at once, saying nothing: a live admin-minted token nobody held.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { interruptedPost } from "../support/cli-interrupt.ts";

const MINTED = { id: "tok_1", role: "operator", name: "ci", createdAt: 1_700_000_000_000, token: "gf_shop_secretword" };

const NOTE =
  "Ctrl-C: the operator token for ci is being minted; waiting for its answer, which holds the token, shown once; " +
  "Ctrl-C again ends at once, and a token it mints is never shown";
const STOPPED = "stopped by Ctrl-C while the operator token for ci was being minted";

const mint =
  (...extra: string[]) =>
  (url: string) => ["tokens", "mint", "--role", "operator", "--name", "ci", ...extra, ...connection(url, "shop")];

describe("Ctrl-C while tokens mint's POST is out", () => {
  it("waits for the answer, prints the token as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply } = await interruptedPost(mint());
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(201, MINTED);
    expect(await run.code).toBe(130);
    const stub = await stubCoordinator((_req, r) => r.json(201, MINTED));
    const plain = await captureCli(mint()(stub.url));
    expect(plain.code).toBe(0);
    expect(run.stdout()).toBe(plain.stdout);
    expect(run.stdout()).toContain("\n\n  gf_shop_secretword\n");
    expect(run.stderr().split("\n")).toEqual([
      NOTE,
      `✘ ERROR interrupted: ${STOPPED}; its answer came: operator token tok_1 was minted, and is shown here once / ` +
        "keep it now: the coordinator keeps only its hash, and nothing shows it again",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("under --json: one document, the minted token with `error`", async () => {
    const { run, reply } = await interruptedPost(mint("--json"));
    reply.json(201, MINTED);
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "id", "role", "name", "createdAt", "token"]);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.token).toBe("gf_shop_secretword");
  });

  it("a failure after it: a token may exist unseen; the fix says how to find and revoke it", async () => {
    const { run, reply } = await interruptedPost(mint());
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: try later \/ /);
    expect(lines[2]).toBe(
      `✘ ERROR interrupted: ${STOPPED}, and its answer was a failure (unavailable): a token may have been minted ` +
        "that nobody has seen / list them with `gigafactory tokens` and revoke one nobody holds (`gigafactory tokens " +
        "revoke ID`), then run the command again",
    );
  });

  it("a bad answer under --json is {error, failure}; the coordinator's refusal says none was minted", async () => {
    const bad = await interruptedPost(mint("--json"));
    bad.reply.json(201, { id: "tok_1" }); // no token in it: bad_response, whether one was minted is not known
    expect(await bad.run.code).toBe(130);
    const doc = JSON.parse(bad.run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.failure).toMatchObject({ code: "bad_response" });
    const refused = await interruptedPost(mint());
    refused.reply.problem(403, { type: "x", title: "t", status: 403, detail: "admins only", code: "forbidden" });
    expect(await refused.run.code).toBe(130);
    expect(refused.run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while the operator token for ci was being minted, and the coordinator refused it \(forbidden\): no token was minted \/ /m,
    );
  });
});
