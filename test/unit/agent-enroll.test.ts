// `gigafactory-agent enroll` and `run` against a confused or careless operator (agent/enroll, agent/config,
// agent/credential-checks): a factory token passed as `--code` or a code as `--token` is `token_is_code`, a token or
// code of another product `wrong_product`, a code cut short `malformed_code` (it was refused as used, or as
// `missing_product`), a URL that cannot be a coordinator `bad_url`, a --name no factory can have `bad_name` — each
// refused before any request, exit 2, with its fix and without the secret in the output. `--product` may be left out
// beside a code: the code names it. A name already enrolled (409) is told how to free it, not to check --url.
// Against a stand-in coordinator on loopback and the real agent process (no mocks of our own code).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ENROLL_FLAGS, parseArgs, RUN_FLAGS } from "../../src/agent/cli-args.ts";
import { resolveRunConfig } from "../../src/agent/config.ts";
import { checkedUrl } from "../../src/agent/credential-checks.ts";
import { FixableError } from "../../src/shared/fixable-error.ts";
import { enrollStandIn } from "./agent-enroll-fixture.ts";
import { runAgent } from "./agent-process.ts";

const SECRET = "S".repeat(40).concat("x_y");
const token = (product: string) => `gf_${product}_${SECRET}`;
const code = (product: string) => `gfe_${product}_${SECRET}`;
/** A token of no known shape in the config file: only its literal value can hide it. */
const FILE_TOKEN = "file-secret-opaque-9";
const tables = { enroll: ENROLL_FLAGS, run: RUN_FLAGS };
/** The stand-in coordinator (its requests recorded): it enrolls whoever asks, but for products leaky and taken. */
const stand = enrollStandIn("gf-agent-enroll-misuse-", (req) => {
  // Product `leaky`: a coordinator (or a proxy before it) whose refusal echoes secrets, after a newline and a tab.
  if (req.url.includes("/products/leaky/")) {
    const detail = `proxy said:\n${code("leaky")}\tBearer opaque-session-secret-123 ${FILE_TOKEN}`;
    return { status: 400, body: { status: 400, code: "bad_request", title: "Bad", detail } };
  }
  // Product `taken`: a factory of this name is enrolled already (the coordinator's 409), the code not used.
  if (req.url.includes("/products/taken/")) {
    const detail = "a factory named h1 is already enrolled; deregister it first";
    const type = "https://gigafactory.dev/problems/conflict"; // its problem's shape: no other server's (agent-foreign-refusal)
    return { status: 409, body: { type, status: 409, code: "conflict", title: "Conflict", detail } };
  }
  return { status: 201, body: { factoryId: "fac_1", token: token("acme"), factory: { seatLimit: 1 } } };
});
const { dir, requests, enroll } = stand;
let url = "";
beforeAll(() => {
  url = stand.url;
});

describe("enroll refuses a confused command line before any request", () => {
  it("a factory token passed as --code, and a code passed as --token: token_is_code", async () => {
    const a = await enroll(["--url", url, "--code", token("acme")], "a");
    expect(a.err).toMatchObject({ code: "token_is_code", exitCode: 2, fix: expect.stringContaining("--token") });
    const b = await enroll(["--url", url, "--token", code("acme")], "b");
    expect(b.err).toMatchObject({ code: "token_is_code", exitCode: 2, fix: expect.stringContaining("enroll") });
    expect(a.requested || b.requested).toBe(false);
    expect(`${a.err?.message} ${a.err?.fix} ${b.err?.message} ${b.err?.fix}`).not.toContain(SECRET);
  });

  it("a code cut short (or not a code at all): malformed_code, with or without --product, never naming it", async () => {
    const whole = code("acme");
    for (const bad of [whole.slice(0, -5), whole.slice(0, 20), "gfe_x", SECRET, `${whole}x`]) {
      for (const product of [[], ["--product", "acme"]]) {
        const r = await enroll(["--url", url, ...product, "--code", bad], "m");
        expect(r.err, bad).toMatchObject({
          code: "malformed_code",
          exitCode: 2,
          fix: expect.stringContaining("whole code"),
        });
        expect(r.requested).toBe(false);
        expect(`${r.err?.message} ${r.err?.fix}`).not.toContain(bad);
      }
    }
  });

  it("a code or token of another product than --product: wrong_product", async () => {
    const a = await enroll(["--url", url, "--product", "beta", "--code", code("acme")], "c");
    expect(a.err).toMatchObject({ code: "wrong_product", exitCode: 2, fix: expect.stringContaining("--product acme") });
    const b = await enroll(["--url", url, "--product", "beta", "--token", token("acme")], "d");
    expect(b.err).toMatchObject({ code: "wrong_product", exitCode: 2 });
    expect(a.requested || b.requested).toBe(false);
  });

  it("a URL that cannot be a coordinator: bad_url", async () => {
    for (const bad of ["127.0.0.1:8787", "ftp://h", "http://", "http://h/api/v1", "http://h/?x=1", "not a url"]) {
      const r = await enroll(["--url", bad, "--code", code("acme")], "e");
      expect(r.err, bad).toMatchObject({ code: "bad_url", exitCode: 2 });
      expect(r.requested).toBe(false);
    }
  });

  it("blanks, a bare ? or #, /API/V1 in any case, or user:password@: bad_url, with a code or a token, nothing stored", async () => {
    const withPassword = url.replace("//", "//user:pw-hunter2@");
    const bads = [
      `${url} `,
      ` ${url}`,
      `${url}\t`,
      `${url}/?`,
      `${url}/#`,
      `${url}/API/V1`,
      `${url}/Api`,
      withPassword,
    ];
    for (const bad of bads) {
      for (const secret of [
        ["--code", code("acme")],
        ["--token", token("acme")],
      ]) {
        const r = await enroll(["--url", bad, ...secret], "bad-url");
        expect(r.err, JSON.stringify(bad)).toMatchObject({ code: "bad_url", exitCode: 2 });
        expect(r.requested).toBe(false);
        expect(`${r.err?.message} ${r.err?.fix}`).not.toContain("pw-hunter2");
      }
    }
    expect(existsSync(path.join(dir, "bad-url", "config.json"))).toBe(false);
  });

  it("a good URL is stored normalised: origin and path, no trailing slashes", () => {
    expect(checkedUrl("HTTP://Example.COM:80/base//", "--url")).toBe("http://example.com/base");
    expect(checkedUrl("https://h:8443", "--url")).toBe("https://h:8443");
  });

  // `--url 127.0.0.1:8787` (the scheme left off) was "is not a URL" and `localhost:8787` "is not http(s)" with no way
  // out; the CLI said what was probably meant (shared/scheme-hint): the agent says the same.
  it("a URL typed without its scheme: bad_url with the URL it probably meant", () => {
    for (const [typed, meant] of [
      ["127.0.0.1:8787", "http://127.0.0.1:8787"],
      ["localhost:8787", "http://localhost:8787"],
      ["gf.example.workers.dev", "https://gf.example.workers.dev"],
    ] as const) {
      let err: unknown;
      try {
        checkedUrl(typed, "--url");
      } catch (e) {
        err = e;
      }
      expect(err, typed).toMatchObject({
        code: "bad_url",
        message: expect.stringContaining(`did you mean "${meant}"?`),
      });
    }
    expect(() => checkedUrl("notaurl", "--url")).toThrow(/is not a URL$/);
  });

  it("both a code and a token: code_and_token", async () => {
    const r = await enroll(["--url", url, "--code", code("acme"), "--token", token("acme")], "f");
    expect(r.err).toMatchObject({ code: "code_and_token", exitCode: 2 });
  });

  // The coordinator refuses such a name (400), which came back as "enrollment failed: body.name: …" with the fix
  // "check --url and --product": the wrong flags. Now bad_name, naming --name, before the code is sent.
  it("a --name the coordinator would refuse: bad_name, naming --name, the code not sent", async () => {
    for (const [name, sub] of [
      ["build box", "n1"],
      ["x".repeat(65), "n2"],
      ["-lead", "n3"],
      ["bö", "n4"],
    ]) {
      const r = await enroll(["--url", url, "--code", code("acme"), "--name", name as string], sub as string);
      expect(r.err, name).toMatchObject({ code: "bad_name", exitCode: 2, fix: expect.stringContaining("--name") });
      expect(r.err?.message, name).toContain(`--name ${JSON.stringify(name)}`);
      expect(r.requested, name).toBe(false);
      expect(existsSync(path.join(dir, sub as string, "config.json")), name).toBe(false);
    }
    const ok = await enroll(["--url", url, "--code", code("acme"), "--name", `b.0_x-${"y".repeat(58)}`], "n5");
    expect(ok.err).toBeUndefined();
  });
});

describe("enroll takes the product from the code", () => {
  it("enrolls into the code's product without --product, and prints neither code nor token", async () => {
    const r = await enroll(["--url", `${url}/`, "--code", code("acme"), "--name", "h1"], "g");
    expect(r.err).toBeUndefined();
    expect(requests.at(-1)?.line).toBe("POST /api/v1/products/acme/factories/enroll");
    const saved = JSON.parse(readFileSync(path.join(dir, "g", "config.json"), "utf8"));
    expect(saved).toMatchObject({ url, product: "acme", token: token("acme"), factoryId: "fac_1" });
    expect(r.lines.join("\n")).not.toContain(SECRET);
  });
});

describe("enroll under a name that is taken", () => {
  it("says how to free the name (the code kept), not to check --url and --product", async () => {
    const r = await enroll(["--url", url, "--code", code("taken"), "--name", "h1"], "taken");
    expect(r.err).toMatchObject({ code: "conflict", exitCode: 1 });
    expect(r.err?.message).toContain("a factory named h1 is already enrolled");
    expect(r.err?.fix).toContain("gigafactory factory rm h1");
    expect(r.err?.fix).not.toContain("--product");
  });
});

describe("enroll reads GIGAFACTORY_URL and GIGAFACTORY_PRODUCT as run does", () => {
  it("takes the URL from the environment when --url is left out", async () => {
    const r = await enroll(["--code", code("acme"), "--name", "h2"], "env-url", { GIGAFACTORY_URL: `${url}/` });
    expect(r.err).toBeUndefined();
    expect(JSON.parse(readFileSync(path.join(dir, "env-url", "config.json"), "utf8"))).toMatchObject({ url });
  });

  it("checks them as it checks the flags, naming the variable; a flag wins; an empty variable is unset", async () => {
    const bad = await enroll(["--code", code("acme")], "env-bad", { GIGAFACTORY_URL: "not a url" });
    expect(bad.err).toMatchObject({ code: "bad_url", message: expect.stringContaining("GIGAFACTORY_URL") });
    const other = await enroll(["--code", code("acme")], "env-p", {
      GIGAFACTORY_URL: url,
      GIGAFACTORY_PRODUCT: "beta",
    });
    expect(other.err).toMatchObject({ code: "wrong_product", message: expect.stringContaining("GIGAFACTORY_PRODUCT") });
    const flagWins = await enroll(["--url", url, "--product", "acme", "--token", token("acme")], "env-f", {
      GIGAFACTORY_URL: "not a url",
      GIGAFACTORY_PRODUCT: "beta",
    });
    expect(flagWins.err).toBeUndefined();
    const empty = await enroll(["--token", token("acme")], "env-e", { GIGAFACTORY_URL: " " });
    expect(empty.err).toMatchObject({ code: "usage", fix: expect.stringContaining("GIGAFACTORY_URL") });
  });
});

describe("run refuses a confused token", () => {
  const defaults = { stateDir: "/s", hostname: "h" };
  const flags = (argv: string[]) => parseArgs(["run", ...argv], tables).flags;
  const thrown = (f: () => unknown): FixableError => {
    try {
      f();
    } catch (e) {
      if (e instanceof FixableError) return e;
      throw e;
    }
    throw new Error("expected a FixableError");
  };

  it("an enrollment code as the token (flag, environment or file): token_is_code, naming where it came from", () => {
    const a = thrown(() => resolveRunConfig(flags(["--url", url, "--token", code("acme")]), {}, {}, defaults));
    expect(a).toMatchObject({ code: "token_is_code", message: expect.stringContaining("--token") });
    const env = { GIGAFACTORY_URL: url, GIGAFACTORY_FACTORY_TOKEN: code("acme") };
    expect(thrown(() => resolveRunConfig({}, env, {}, defaults)).message).toContain("GIGAFACTORY_FACTORY_TOKEN");
  });

  it("a token of another product than the one configured: wrong_product", () => {
    const file = { url, product: "beta" };
    const e = thrown(() => resolveRunConfig(flags(["--token", token("acme")]), {}, file, defaults));
    expect(e).toMatchObject({ code: "wrong_product", exitCode: 2 });
    expect(e.message).not.toContain(SECRET);
    expect(resolveRunConfig(flags(["--token", token("beta")]), {}, file, defaults).product).toBe("beta");
  });

  it("a malformed URL from the config file: bad_url, naming the file", () => {
    const e = thrown(() => resolveRunConfig({}, {}, { url: "localhost:8787", token: token("acme") }, defaults));
    expect(e).toMatchObject({ code: "bad_url", message: expect.stringContaining("config file") });
  });
});

describe("the real process", () => {
  it("exits 2 with the refusal and its fix, and never echoes the secret", async () => {
    const stateDir = path.join(dir, "proc");
    const r = await runAgent(["enroll", "--url", url, "--code", token("acme"), "--state-dir", stateDir]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/✘ ERROR token_is_code: .+ \/ pass a factory token as --token/);
    expect(r.out).not.toContain(SECRET);
    const run = await runAgent(["run", "--url", url, "--token", code("acme"), "--state-dir", stateDir]);
    expect(run.code).toBe(2);
    expect(run.out).toContain("✘ ERROR token_is_code");
    expect(run.out).not.toContain(SECRET);
  });

  it("a URL with a trailing blank exits 2 bad_url (no stack), and --token stores nothing", async () => {
    const stateDir = path.join(dir, "blank-url");
    const c = await runAgent(["enroll", "--url", `${url} `, "--code", code("acme"), "--state-dir", stateDir]);
    expect(c.code).toBe(2);
    expect(c.out).toContain("✘ ERROR bad_url");
    const t = await runAgent(["enroll", "--url", `${url} `, "--token", token("acme"), "--state-dir", stateDir]);
    expect(t.code).toBe(2);
    expect(existsSync(path.join(stateDir, "config.json"))).toBe(false);
  });

  it("--json never prints a secret a refusal echoes, nor the config file's token", async () => {
    const stateDir = path.join(dir, "leaky");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, "config.json"), JSON.stringify({ token: FILE_TOKEN }), { mode: 0o600 });
    const r = await runAgent(["enroll", "--json", "--url", url, "--code", code("leaky"), "--state-dir", stateDir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('"code":"bad_request"');
    for (const secret of [SECRET, "opaque-session-secret-123", FILE_TOKEN]) expect(r.out).not.toContain(secret);
  });
});
