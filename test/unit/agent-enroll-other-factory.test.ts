// `enroll` never silently replaces another factory's token in its state dir (agent/enroll-target): enrolling host-e
// into the state dir of host-d (or of a factory of another product), with a code or with `--token --name`, is refused
// `other_factory` (exit 2) naming host-d and both ways on (`--state-dir`, `gigafactory factory rm host-d`) — before the
// code is redeemed (the stand-in coordinator sees no request) and with host-d's config untouched. The same factory
// (same product and name) enrolled again goes on: a fresh code for host-d, a rotated token with `--token` (its name
// kept without `--name`). A config file holding no token (only defaults for `run`) belongs to no factory. Against a
// stand-in coordinator on loopback, in-process and as the real agent process a newcomer runs.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { enrollStandIn } from "./agent-enroll-fixture.ts";
import { runAgent } from "./agent-process.ts";

const secret = (c: string) => c.repeat(43);
const code = (product: string, c = "C") => `gfe_${product}_${secret(c)}`;
const token = (product: string, c: string) => `gf_${product}_${secret(c)}`;

/** Every enrollment the stand-in took; each is answered with a fresh token of the URL's product. */
const enrolled: Array<{ product: string; name: string }> = [];
const stand = enrollStandIn("gf-agent-enroll-other-", (req) => {
  const product = /\/products\/([^/]+)\//.exec(req.url)?.[1] ?? "x";
  const { name } = JSON.parse(req.body) as { name: string };
  enrolled.push({ product, name });
  const n = enrolled.length;
  const answer = {
    factoryId: `fac_${name.replace(/\W/g, "")}${n}`,
    token: token(product, String(n % 10)),
    factory: {},
  };
  return { status: 201, body: answer };
});
const { dir } = stand;
let url = "";
beforeAll(() => {
  url = stand.url;
});

const configOf = (sub: string) => JSON.parse(readFileSync(path.join(dir, sub, "config.json"), "utf8"));

/** `enroll` in-process into the state dir `sub`: the FixableError (or undefined) and whether a request was made. */
const enroll = (sub: string, argv: string[]) => stand.enroll(["--url", url, ...argv], sub);

describe("a newcomer enrolls two factories into one state dir", () => {
  it("the second is refused before its code is redeemed, naming the first and the fix; the first keeps its token", async () => {
    const state = path.join(dir, "newcomer");
    const first = await runAgent(["enroll", "--url", url, "--code", code("acme"), "--name", "host-d"], {
      GIGAFACTORY_AGENT_STATE: state,
    });
    expect(first.code).toBe(0);
    const saved = readFileSync(path.join(state, "config.json"), "utf8");
    const before = enrolled.length;
    const second = await runAgent(["enroll", "--url", url, "--code", code("acme", "E"), "--name", "host-e"], {
      GIGAFACTORY_AGENT_STATE: state,
    });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`✘ ERROR other_factory: ${path.join(state, "config.json")} already holds`);
    expect(second.stderr).toContain("host-d of product acme");
    expect(second.stderr).toContain("--state-dir DIR");
    expect(second.stderr).toContain("gigafactory factory rm host-d");
    expect(second.out).not.toContain("✔");
    expect(enrolled.length).toBe(before); // host-e's code was never sent: it is still usable elsewhere
    expect(readFileSync(path.join(state, "config.json"), "utf8")).toBe(saved);
  });
});

describe("what counts as another factory", () => {
  it("another product, with a code or a token, is refused; nothing sent or written", async () => {
    expect((await enroll("p", ["--code", code("acme"), "--name", "h1"])).err).toBeUndefined();
    const saved = configOf("p");
    const a = await enroll("p", ["--code", code("beta"), "--name", "h1"]);
    expect(a.err).toMatchObject({ code: "other_factory", exitCode: 2 });
    expect(a.err?.message).toContain("h1 of product acme");
    expect(a.requested).toBe(false);
    const b = await enroll("p", ["--token", token("beta", "B")]);
    expect(b.err).toMatchObject({ code: "other_factory", exitCode: 2 });
    expect(configOf("p")).toEqual(saved);
  });

  it("another name by --token --name is refused; a bare --token (a rotated one) keeps the stored name and seats", async () => {
    expect((await enroll("t", ["--code", code("acme"), "--name", "h1", "--seats", "3"])).err).toBeUndefined();
    expect(configOf("t").seats).toBe(3);
    const other = await enroll("t", ["--token", token("acme", "R"), "--name", "h2"]);
    expect(other.err).toMatchObject({ code: "other_factory" });
    expect(configOf("t").name).toBe("h1");
    expect((await enroll("t", ["--token", token("acme", "R")])).err).toBeUndefined();
    expect(configOf("t")).toMatchObject({ name: "h1", product: "acme", token: token("acme", "R"), seats: 3 });
    expect((await enroll("t", ["--token", token("acme", "S"), "--name", "h1", "--seats", "2"])).err).toBeUndefined();
    expect(configOf("t")).toMatchObject({ name: "h1", token: token("acme", "S"), seats: 2 });
  });

  it("the same factory enrolled again with a fresh code goes on, its token replaced", async () => {
    expect((await enroll("same", ["--code", code("acme"), "--name", "h1"])).err).toBeUndefined();
    const old = configOf("same").token;
    const again = await enroll("same", ["--code", code("acme", "F"), "--name", "h1"]);
    expect(again).toMatchObject({ err: undefined, requested: true });
    expect(configOf("same").token).not.toBe(old);
  });

  it("a config file with no token yet (defaults for run) belongs to no factory: enrolled, its settings kept", async () => {
    const sub = path.join(dir, "defaults");
    rmSync(sub, { recursive: true, force: true });
    await enroll("defaults", ["--token", token("acme", "D"), "--name", "seed"]); // creates the dir
    writeFileSync(path.join(sub, "config.json"), JSON.stringify({ name: "old-host", engines: { x: "x-cli" } }));
    expect((await enroll("defaults", ["--code", code("acme"), "--name", "h9"])).err).toBeUndefined();
    expect(configOf("defaults")).toMatchObject({ name: "h9", engines: { x: "x-cli" } });
  });
});
