// Ctrl-C (SIGINT) while `gigafactory factory rotate ID`'s or `gigafactory enroll NAME`'s (its one-time code, or with
// --direct the factory's token) one POST is out, in-process (an Io whose onInterrupt the test presses while a
// stand-in coordinator on a real local socket holds the POST) and, for rotate, as the real process: the first Ctrl-C
// says the answer holds a secret shown once and waits for it; the answer prints exactly as without Ctrl-C (the token
// or code, the host command), then `✘ ERROR interrupted` (exit 130) says what to do with it — under --json the
// answer's document with `error`. A request that fails after it says what state the secret may be in and what to
// run (`gigafactory factory rotate ID` again) — `{error, failure}` under --json; a refusal says nothing changed.
// It ended at once, saying nothing: a rotation had refused the host's old token and nobody saw the new one.
import { describe, expect, it } from "vitest";
import { AGENT } from "../../src/cli/commands/factories.ts";
import { captureCli, connection, type StubReply, stubCoordinator } from "../support/cli-harness.ts";
import { startInterruptible } from "../support/cli-interrupt.ts";
import { startCli, untilCli } from "../support/cli-process.ts";

const FLEET = { factories: [{ id: "f_1", name: "box-9", status: "active", capabilities: [], seats: 1 }] };
const ENROLLED = {
  factoryId: "f_1",
  token: "gf_shop_newsecret",
  factory: { name: "box-9", capabilities: [], seats: 1 },
};
const CODE = { id: "c1", code: "gfe_shop_onetime", expiresAt: 1_700_003_600_000 };

/** A coordinator that answers reads with FLEET and holds each POST until the test answers it. */
async function fleetHolding() {
  const held: StubReply[] = [];
  const stub = await stubCoordinator((req, reply) => {
    if (req.method === "POST") held.push(reply);
    else reply.json(200, FLEET);
  });
  return { stub, held };
}

/** Starts `argv`, presses Ctrl-C once its POST is held; `reply` answers that POST. */
async function interrupted(argv: (url: string) => string[]) {
  const { stub, held } = await fleetHolding();
  const run = startInterruptible(argv(stub.url));
  await run.until("the POST held", () => held.length === 1);
  run.ctrlC();
  return { run, reply: held[0]!, url: stub.url };
}

/** The same command without Ctrl-C, its POST answered `status`, `doc`: what the interrupted one must print too. */
async function uninterrupted(argv: (url: string) => string[], status: number, doc: unknown) {
  const stub = await stubCoordinator((req, reply) =>
    reply.json(req.method === "POST" ? status : 200, req.method === "POST" ? doc : FLEET),
  );
  return captureCli(argv(stub.url));
}

const rotate =
  (...extra: string[]) =>
  (url: string) => ["factory", "rotate", "box-9", ...extra, ...connection(url, "shop")];
const direct =
  (...extra: string[]) =>
  (url: string) => ["enroll", "box-9", "--direct", ...extra, ...connection(url, "shop")];
const code =
  (...extra: string[]) =>
  (url: string) => ["enroll", "box-9", ...extra, ...connection(url, "shop")];

const ROTATE_NOTE =
  "Ctrl-C: the rotation of factory box-9's token is on its way; waiting for its answer, which holds the new token, " +
  "shown once; Ctrl-C again ends at once, and the host may be locked out: its old token refused, the new one never shown";
const ROTATE_STOPPED = "stopped by Ctrl-C while the rotation of factory box-9's token was on its way";

describe("Ctrl-C while factory rotate's POST is out", () => {
  it("waits for the answer, prints the new token and host command as without Ctrl-C, and ends interrupted (130)", async () => {
    const { run, reply, url } = await interrupted(rotate());
    await run.until("the note", () => run.stderr().includes(ROTATE_NOTE));
    reply.json(200, ENROLLED);
    expect(await run.code).toBe(130);
    const plain = await uninterrupted(rotate(), 200, ENROLLED);
    expect(plain.code).toBe(0);
    expect(run.stdout()).toBe(plain.stdout.replaceAll(plain.stdout.match(/--url (\S+)/)![1]!, url));
    expect(run.stdout()).toContain(
      `${AGENT} enroll --url ${url} --product shop --token gf_shop_newsecret && ${AGENT} run`,
    );
    expect(run.stderr().split("\n")).toEqual([
      ROTATE_NOTE,
      `✘ ERROR interrupted: ${ROTATE_STOPPED}; its answer came: the old token of box-9 (f_1) is refused now; the new ` +
        "one is shown here once / run the command shown (`command` under --json) on the host now: until then it is locked out",
      "",
    ]);
    expect(run.listening()).toBe(0);
  });

  it("under --json: one document, the answer (token and command) with `error`", async () => {
    const { run, reply, url } = await interrupted(rotate("--json"));
    reply.json(200, ENROLLED);
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "factoryId", "token", "factory", "command"]);
    expect(doc.error).toMatchObject({ code: "interrupted", exitCode: 130 });
    expect(doc.token).toBe("gf_shop_newsecret");
    expect(doc.command).toBe(`${AGENT} enroll --url ${url} --product shop --token gf_shop_newsecret && ${AGENT} run`);
    expect(run.stderr()).toContain(ROTATE_NOTE);
  });

  it("a failure after it: the host may be locked out, and rotating again is the way back", async () => {
    const { run, reply } = await interrupted(rotate());
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    expect(run.stdout()).toBe("");
    const lines = run.stderr().split("\n");
    expect(lines[0]).toBe(ROTATE_NOTE);
    expect(lines[1]).toMatch(/^✘ ERROR unavailable: try later \/ /);
    expect(lines[2]).toBe(
      `✘ ERROR interrupted: ${ROTATE_STOPPED}, and its answer was a failure (unavailable): the token may have been ` +
        "rotated — the host's old token refused — and the new one never shown / run `gigafactory factory rotate " +
        "box-9` again: the token this one made, if it made one, was never shown; the new rotation's token is the one " +
        "to give the host",
    );
  });

  it("a bad answer after it under --json: {error, failure}; a refusal says the old token still works", async () => {
    const bad = await interrupted(rotate("--json"));
    bad.reply.json(200, { ok: true });
    expect(await bad.run.code).toBe(130);
    const doc = JSON.parse(bad.run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.failure).toMatchObject({ code: "bad_response" });
    expect(doc.error.fix).toMatch(/^run `gigafactory factory rotate box-9` again: /);
    const refused = await interrupted(rotate());
    refused.reply.problem(409, { type: "x", title: "t", status: 409, detail: "revoked", code: "invalid_transition" });
    expect(await refused.run.code).toBe(130);
    expect(refused.run.stderr()).toContain(
      `✘ ERROR interrupted: ${ROTATE_STOPPED}, and the coordinator refused it (invalid_transition): the token was not ` +
        "rotated: nothing changed / fix what its `✘ ERROR invalid_transition` says, then run the command again",
    );
  });

  it("the real process: the first SIGINT waits for the answer, prints the token and ends 130", async () => {
    const { stub, held } = await fleetHolding();
    const run = startCli(rotate()(stub.url));
    await untilCli(run, "the POST held", () => held.length === 1);
    run.child.kill("SIGINT");
    await untilCli(run, "the note", () => run.stderr().includes(ROTATE_NOTE));
    held[0]!.json(200, ENROLLED);
    const r = await run.exited;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain("--token gf_shop_newsecret");
    expect(r.stderr).toMatch(/^✘ ERROR interrupted: stopped by Ctrl-C while the rotation of factory box-9's token /m);
  });
});

describe("Ctrl-C while enroll --direct's POST is out", () => {
  const NOTE =
    "Ctrl-C: the enrollment of box-9 is on its way; waiting for its answer, which holds the factory's token, shown " +
    "once; Ctrl-C again ends at once, and a factory it enrolls has a token nobody has seen";

  it("prints the token as without Ctrl-C and ends interrupted (130); --json: the answer with `error`", async () => {
    const { run, reply, url } = await interrupted(direct());
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(201, ENROLLED);
    expect(await run.code).toBe(130);
    const plain = await uninterrupted(direct(), 201, ENROLLED);
    expect(run.stdout()).toBe(plain.stdout.replaceAll(plain.stdout.match(/--url (\S+)/)![1]!, url));
    expect(run.stdout()).toContain("--token gf_shop_newsecret --name box-9");
    expect(run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while the enrollment of box-9 was on its way; its answer came: box-9 \(f_1\) is enrolled, and its token is shown here once \/ /m,
    );
    const json = await interrupted(direct("--json"));
    json.reply.json(201, ENROLLED);
    expect(await json.run.code).toBe(130);
    expect(Object.keys(JSON.parse(json.run.stdout()))).toEqual(["error", "factoryId", "token", "factory", "command"]);
  });

  it("a failure after it: the factory may exist with an unseen token; rotate it if listed", async () => {
    const { run, reply } = await interrupted(direct());
    reply.problem(502, { type: "x", title: "t", status: 502, detail: "gateway", code: "bad_gateway" });
    expect(await run.code).toBe(130);
    expect(run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while the enrollment of box-9 was on its way, and its answer was a failure \(\w+\): factory box-9 may have been enrolled, its token never shown \/ see whether `gigafactory factories` lists box-9 with a status other than revoked: if it does, `gigafactory factory rotate box-9` gives it a token you see/m,
    );
  });
});

describe("Ctrl-C while enroll's enrollment-code POST is out", () => {
  const NOTE =
    "Ctrl-C: an enrollment code for box-9 is being minted; waiting for its answer, which holds the code, shown once; " +
    "Ctrl-C again ends at once, and a code it mints is never shown";

  it("prints the code as without Ctrl-C and ends interrupted (130); --json: the answer with `error`", async () => {
    const { run, reply, url } = await interrupted(code());
    await run.until("the note", () => run.stderr().includes(NOTE));
    reply.json(201, CODE);
    expect(await run.code).toBe(130);
    const plain = await uninterrupted(code(), 201, CODE);
    expect(run.stdout()).toBe(plain.stdout.replaceAll(plain.stdout.match(/--url (\S+)/)![1]!, url));
    expect(run.stdout()).toContain("--code gfe_shop_onetime --name box-9");
    expect(run.stderr()).toMatch(
      /^✘ ERROR interrupted: stopped by Ctrl-C while an enrollment code for box-9 was being minted; its answer came: the code for box-9 was minted, and is shown here once \(valid until .+\) \/ run the command shown/m,
    );
    const json = await interrupted(code("--json"));
    json.reply.json(201, CODE);
    expect(await json.run.code).toBe(130);
    const doc = JSON.parse(json.run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "name", "code", "expiresAt", "command"]);
    expect(doc.code).toBe("gfe_shop_onetime");
  });

  it("a failure after it: a code may exist unseen; mint another, list and revoke the unseen one", async () => {
    const { run, reply } = await interrupted(code("--json"));
    reply.problem(503, { type: "x", title: "t", status: 503, detail: "try later", code: "unavailable" });
    expect(await run.code).toBe(130);
    const doc = JSON.parse(run.stdout());
    expect(Object.keys(doc)).toEqual(["error", "failure"]);
    expect(doc.error.message).toBe(
      "stopped by Ctrl-C while an enrollment code for box-9 was being minted, and its answer was a failure " +
        "(unavailable): a code may have been minted that nobody has seen (unused, it expires within the hour)",
    );
    expect(doc.error.fix).toContain("`gigafactory enrollment-codes revoke ID`");
  });
});
