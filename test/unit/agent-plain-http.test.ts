// The agent says so, once, when it would send its factory token (or, enrolling, its one-time code) over plain http
// to a host that is not this machine: `⚠` on stderr at the start of `run` and of `enroll --code`, naming the origin
// and the fix (https, or loopback). It still runs: the warning refuses nothing. Loopback — 127.0.0.0/8, ::1,
// localhost — and https say nothing: the local runtime and the test rigs use http on 127.0.0.1. The real agent
// process, against a stand-in coordinator on 127.0.0.1 reached as http://0.0.0.0 (Linux routes it to loopback, and
// it is no loopback name: the agent cannot tell it from a host across the network).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainHttpWarning } from "../../src/agent/credential-checks.ts";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, runAgent, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-plain-http-"));
chmodSync(dir, 0o755); // reachable by a root agent's engine user, or enroll refuses the work dir beside its state dir
const SECRET = "P".repeat(43);
let port = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ factoryId: "fac_1", token: `gf_acme_${SECRET}`, factory: { seatLimit: 1 } }));
  });
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const count = (text: string, what: string) => text.split(what).length - 1;

describe("which coordinator URLs carry the token in clear to another host", () => {
  it("http to any host but loopback warns; https and loopback do not", () => {
    for (const quiet of [
      "https://gigafactory.example.workers.dev",
      "https://10.0.0.5:8443",
      "http://127.0.0.1:8787",
      "http://127.9.8.7",
      "http://localhost:8787",
      "http://LOCALHOST.:1",
      "http://[::1]:8787",
      "http://[::ffff:127.0.0.1]:8787",
    ])
      expect(plainHttpWarning(new URL(quiet).href.replace(/\/$/, "")), quiet).toBeUndefined();
    for (const loud of [
      "http://10.0.0.5:8787",
      "http://coordinator.lan",
      "http://0.0.0.0:8787",
      "http://127.0.0.1.example.com",
      "http://localhost.example.com",
      "http://[::ffff:10.0.0.1]",
      "http://[fe80::1]",
    ]) {
      const w = plainHttpWarning(loud);
      expect(w, loud).toContain(`${new URL(loud).origin} is plain http to another host`);
      expect(w, loud).toContain("https://");
    }
  });
});

describe("the agent warns once at start, and goes on", () => {
  it("enroll --code over http to another host: ⚠ on stderr naming the origin, then enrolled", async () => {
    const url = `http://0.0.0.0:${port}`;
    const code = `gfe_acme_${SECRET}`;
    const r = await runAgent([
      "enroll",
      "--state-dir",
      path.join(dir, "e1"),
      "--url",
      url,
      "--code",
      code,
      "--name",
      "h1",
    ]);
    expect(r.code).toBe(0);
    expect(count(r.stderr, "⚠")).toBe(1);
    expect(r.stderr).toContain(`⚠ ${url} is plain http to another host: the enrollment code and the factory token`);
    expect(r.out).toContain("✔ enrolled as h1");
    expect(r.out).not.toContain(SECRET);
  });

  it("enroll --code on loopback: no warning", async () => {
    const url = `http://127.0.0.1:${port}`;
    const r = await runAgent([
      "enroll",
      "--state-dir",
      path.join(dir, "e2"),
      "--url",
      url,
      "--code",
      `gfe_acme_${SECRET}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("plain http");
  });

  it("run over http to another host: one warning, however often it reconnects", async () => {
    // Nothing listens on port 2: it keeps reconnecting, printing a line each time.
    const args = offlineRunArgs(path.join(dir, "r1")).map((a) => (a === "http://127.0.0.1:2" ? "http://0.0.0.0:2" : a));
    const agent = startAgent(args);
    try {
      await until("two reconnects", () => count(agent.out(), "reconnecting in") >= 2);
      expect(count(agent.out(), "plain http to another host")).toBe(1);
      expect(agent.out()).toContain("⚠ http://0.0.0.0:2 is plain http to another host: the factory token travels");
    } finally {
      await agent.stop();
    }
  });

  it("run on loopback: no warning", async () => {
    const agent = startAgent(offlineRunArgs(path.join(dir, "r2")));
    try {
      await until("a reconnect", () => agent.out().includes("reconnecting in"));
      expect(agent.out()).not.toContain("plain http");
    } finally {
      await agent.stop();
    }
  });
});
