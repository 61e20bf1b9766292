// `gigafactory factories`: a factory enrolled but never heard from (no lastHeartbeatAt) reads HEALTH
// "never connected", not `down` — its agent has not started; `gigafactory health` leaves it out for the same reason.
// The footer names each factory whose declared capabilities await approval, with what waits and the approve command
// (it gave a count only). `factory approve ID --seats N` names the new seat limit (a 1-seat host read "with 1
// seat(s)"), and `enroll` prints an agent command whose PID is the agent's (not `npx`, which a SIGTERM never passed).
// `factory drain|rm|… NAME` resolves a name to its id (they took ids only); an unknown name changes nothing; a name
// shared with a revoked factory is the one not revoked for every change the coordinator refuses of a revoked one
// (drain … revoke), and refused by `factory rm` naming each one's status, which is in service and which revoked,
// steering to neither (rm may mean the revoked record).
// `enroll --cap X` refuses an X that is no capability before a code is minted (it went into the printed command).
import { describe, expect, it } from "vitest";
import { AGENT, factoryRows } from "../../src/cli/commands/factories.ts";
import type { Factory } from "../../src/shared/http-client.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const NOW = 1_700_000_060_000;
const factory = (over: Partial<Factory>): Factory =>
  ({
    id: "fac_1",
    productId: "shop",
    name: "box-1",
    capabilities: [],
    seats: 2,
    load: 0,
    health: "down",
    status: "active",
    createdAt: NOW - 60_000,
    ...over,
  }) as Factory;

describe("factories: HEALTH", () => {
  it("says never connected for a factory with no heartbeat, and the health of one that has beaten", () => {
    const [never, gone] = factoryRows([factory({}), factory({ id: "fac_2", lastHeartbeatAt: NOW - 600_000 })], NOW);
    expect(never![3]).toBe("never connected");
    expect(never![7]).toBe("never");
    expect(gone![3]).toBe("down");
  });
});

// The LINK column (linkCell): a factory whose socket closed reads "disconnected" at once, with how long ago, beside a
// HEALTH still `ok` (heartbeat-based: down only after 3 missed) — the table said `ok` alone until the beats lapsed.
describe("factories: LINK", () => {
  it("says connected, disconnected with how long ago beside health ok, never, closed when ended on purpose, - from an older coordinator", async () => {
    const beat = { lastHeartbeatAt: NOW - 5_000, health: "ok" as const };
    const rows = factoryRows(
      [
        factory({ ...beat, connected: true, disconnectedAt: null } as Partial<Factory>),
        factory({ ...beat, id: "fac_2", connected: false, disconnectedAt: NOW - 12_000 } as Partial<Factory>),
        factory({ ...beat, id: "fac_3", connected: false, disconnectedAt: null } as Partial<Factory>),
        factory({ id: "fac_4", connected: false, disconnectedAt: null } as Partial<Factory>),
        factory({ ...beat, id: "fac_5" }),
        // Ended on purpose: no outage to find.
        factory({
          ...beat,
          id: "fac_6",
          health: "left",
          connected: false,
          disconnectedAt: NOW - 9_000,
        } as Partial<Factory>),
        factory({
          ...beat,
          id: "fac_7",
          status: "revoked",
          connected: false,
          disconnectedAt: null,
        } as Partial<Factory>),
      ],
      NOW,
    );
    expect(rows.map((r) => [r[3], r[4]])).toEqual([
      ["ok", "connected"],
      ["ok", "disconnected 12s ago"],
      ["ok", "disconnected"],
      ["never connected", "never"],
      ["ok", "-"],
      [expect.stringMatching(/^left/), "closed"],
      ["ok", "closed"],
    ]);
    const stub = await stubCoordinator((_req, reply) =>
      reply.json(200, {
        factories: [factory({ ...beat, connected: false, disconnectedAt: NOW - 12_000 } as Partial<Factory>)],
      }),
    );
    const table = await captureCli(["factories", ...connection(stub.url, "shop")], { now: NOW });
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+HEALTH\s+LINK\s+LOAD\/SEATS/);
    expect(table.stdout).toMatch(/box-1\s+active\s+ok\s+disconnected 12s ago\s+0\/2/);
    const json = await captureCli(["factories", "--json", ...connection(stub.url, "shop")], { now: NOW });
    expect(JSON.parse(json.stdout).factories[0]).toMatchObject({ connected: false, disconnectedAt: NOW - 12_000 });
  });

  it("--json gives each factory the LINK column's word as `link`, its fields kept; null from an older coordinator", async () => {
    const beat = { lastHeartbeatAt: NOW - 5_000, health: "ok" as const };
    const link = (over: Record<string, unknown>) => factory({ ...beat, ...over } as Partial<Factory>);
    const fleet = [
      link({ connected: true, disconnectedAt: null }),
      link({ id: "fac_2", connected: false, disconnectedAt: NOW - 12_000 }),
      link({ id: "fac_3", connected: false, disconnectedAt: null }),
      factory({ id: "fac_4", connected: false, disconnectedAt: null } as Partial<Factory>),
      link({ id: "fac_5" }),
      link({ id: "fac_6", health: "left", connected: false, disconnectedAt: NOW - 9_000 }),
      link({ id: "fac_7", status: "revoked", connected: false, disconnectedAt: null }),
    ];
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { factories: fleet }));
    const json = await captureCli(["factories", "--json", ...connection(stub.url, "shop")], { now: NOW });
    const listed = JSON.parse(json.stdout).factories as Array<Record<string, unknown>>;
    expect(listed.map((f) => f.link)).toEqual([
      "connected",
      "disconnected",
      "disconnected",
      "never",
      null,
      "closed",
      "closed",
    ]);
    // Each word is the table's LINK cell (its age aside), and the two fields it is read from stay.
    const cells = factoryRows(fleet, NOW).map((r) => r[4]);
    expect(listed.map((f) => f.link ?? "-")).toEqual(cells.map((c) => c!.replace(/ \d+s ago$/, "")));
    expect(listed[1]).toMatchObject({ connected: false, disconnectedAt: NOW - 12_000 });
    // Never heard from: the API's heartbeat `health` (down) is kept; `link: never` says what the table's HEALTH does.
    expect(listed[3]).toMatchObject({ health: "down", link: "never" });
  });
});

// The footer names the factories whose link ended while HEALTH still counts them up (core/factory-link
// `linkEndedWhileUp`, the rule health's and the metrics' `disconnected` counts read): the table's `ok` beside a
// LINK "disconnected" was the only hint, and the metrics counted their seats as up.
describe("factories: the disconnected footer", () => {
  it("names each factory disconnected while up, not one never heard from, left, revoked or down; none when none is", async () => {
    const beat = { lastHeartbeatAt: NOW - 5_000, health: "ok" as const };
    const link = (over: Record<string, unknown>) => factory({ ...beat, ...over } as Partial<Factory>);
    const fleet = [
      link({ connected: true, disconnectedAt: null }),
      link({ id: "fac_2", name: "box-2", connected: false, disconnectedAt: NOW - 12_000 }),
      link({ id: "fac_3", name: "box-3", health: "degraded", connected: false, disconnectedAt: null }),
      factory({ id: "fac_4", connected: false, disconnectedAt: null } as Partial<Factory>),
      link({ id: "fac_5" }), // an older coordinator: it does not say
      link({ id: "fac_6", health: "left", connected: false, disconnectedAt: NOW - 9_000 }),
      link({ id: "fac_7", status: "revoked", connected: false, disconnectedAt: null }),
      link({ id: "fac_8", health: "down", connected: false, disconnectedAt: NOW - 90_000 }),
    ];
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { factories: fleet }));
    const out = (await captureCli(["factories", ...connection(stub.url, "shop")], { now: NOW })).stdout;
    expect(out).toContain(
      "\n2 factories disconnected while HEALTH still counts them up (no live link: no work reaches them until their agent reconnects or polls):\n  box-2 (fac_2)\n  box-3 (fac_3)\n",
    );
    const linked = await stubCoordinator((_req, reply) => reply.json(200, { factories: fleet.slice(0, 1) }));
    const none = (await captureCli(["factories", ...connection(linked.url, "shop")], { now: NOW })).stdout;
    expect(none).not.toContain("disconnected while");
  });
});

describe("factories: awaiting approval, approve --seats, enroll's agent command", () => {
  const gpu = factory({ id: "fac_g", name: "demo-gpu", capabilities: ["os:linux"], pendingCapabilities: ["cuda"] });
  const approved = factory({ id: "fac_g", name: "demo-gpu", seats: 1, seatLimit: 4 });
  async function coordinator() {
    return stubCoordinator((req, reply) => {
      if (req.url.endsWith("/capabilities/approve")) return reply.json(200, approved);
      if (req.url.endsWith("/enrollment-codes")) return reply.json(201, { id: "c1", code: "gfe_x", expiresAt: NOW });
      reply.json(200, { factories: [factory({}), gpu] });
    });
  }

  it("names each factory whose capabilities await approval, with the command that approves them", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["factories", ...connection(url, "shop")], { now: NOW });
    expect(r.stdout).toContain("1 factory declared capabilities nobody approved");
    expect(r.stdout).toMatch(/^ {2}demo-gpu \(fac_g\): cuda — `gigafactory factory approve fac_g`$/m);
  });

  it("approve --seats says the seat limit it set, and why the seats it runs differ", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["factory", "approve", "fac_g", "--seats", "4", ...connection(url, "shop")]);
    expect(r.stdout).toMatch(/with 1 seat \(seat limit 4; its agent declares fewer\)/);
  });

  it("enroll prints the agent run as the agent's own process, not through npx", async () => {
    const { url } = await coordinator();
    const r = await captureCli(["enroll", "box-9", "--json", ...connection(url, "shop")]);
    const { command } = JSON.parse(r.stdout) as { command: string };
    expect(command).not.toContain("npx");
    expect(command).toMatch(new RegExp(`&& ${AGENT.replaceAll(".", "\\.")} run$`));
  });

  // No code carries the capabilities, so the coordinator never saw them: a bad one cost a code and went unquoted
  // into the command for the host's shell, which ran what followed a `;`.
  it("enroll refuses a --cap that is no capability before minting a code, so it never reaches the host's shell", async () => {
    const stub = await coordinator();
    for (const cap of ["gpu; touch /tmp/owned", "os: linux", "$(id)"]) {
      const r = await captureCli([
        "enroll",
        "box-9",
        "--cap",
        "os:linux",
        "--cap",
        cap,
        ...connection(stub.url, "shop"),
      ]);
      expect(r.code, cap).toBe(2);
      expect(r.stderr, cap).toContain(`✘ ERROR usage: --cap ${JSON.stringify(cap)} is not a capability`);
      expect(r.stdout, cap).toBe("");
    }
    expect(stub.lines).toEqual([]);
    const ok = await captureCli(["enroll", "box-9", "--cap", "has:docker", "--json", ...connection(stub.url, "shop")]);
    expect(JSON.parse(ok.stdout).command).toContain("--cap has:docker");
  });
});

// A printed factory token is stored before `run` (test/e2e/cli-token-lines for the real agent): `run --url … --token T`
// connected once and saved nothing, so the agent's next plain `run` read the rotated-out token, `unauthorized`, exit 3.
describe("factory rotate and enroll --direct: the host's line stores the token, then runs", () => {
  const enrolled = { factoryId: "fac_g", token: "gf_shop_new", factory: factory({ id: "fac_g", name: "demo-gpu" }) };
  const stub = () =>
    stubCoordinator((req, reply) => {
      if (req.method === "GET") return reply.json(200, { factories: [enrolled.factory] });
      reply.json(201, enrolled);
    });
  const run = `&& ${AGENT} run`;

  it("rotate: enroll --token with the new token, keeping the host's stored name and seats, then run", async () => {
    const { url } = await stub();
    const json = await captureCli(["factory", "rotate", "demo-gpu", "--json", ...connection(url, "shop")]);
    const start = `${AGENT} enroll --url ${url} --product shop --token gf_shop_new`;
    expect(JSON.parse(json.stdout).command).toBe(`${start} ${run}`);
    const text = await captureCli(["factory", "rotate", "demo-gpu", ...connection(url, "shop")]);
    expect(text.stdout).toContain(`\n  ${start} ${run}\n`);
  });

  it("enroll --direct: enroll --token with the name, capabilities and seats, then run", async () => {
    const { url } = await stub();
    const args = ["enroll", "demo-gpu", "--cap", "gpu", "--seats", "2", "--direct", "--json"];
    const r = await captureCli([...args, ...connection(url, "shop")]);
    expect(JSON.parse(r.stdout).command).toBe(
      `${AGENT} enroll --url ${url} --product shop --token gf_shop_new --name demo-gpu --cap gpu --seats 2 ${run}`,
    );
  });
});

// `factory drain demo-gpu` — the name `factories` and the agent's log show first — used to be refused
// `not_found: factory demo-gpu does not exist`: the factory commands took ids only (an experiment arm took either).
describe("factory commands take a factory's name or id", () => {
  const gpu = factory({ id: "fac_g", name: "demo-gpu", status: "draining" });
  async function coordinator() {
    return stubCoordinator((req, reply) => {
      if (req.method === "GET") return reply.json(200, { factories: [factory({}), gpu] });
      if (req.url.endsWith("/fac_g/status")) return reply.json(200, gpu);
      if (req.method === "DELETE") return reply.json(200, { requeued: 0 });
      reply.problem(404, { code: "not_found", title: "t", status: 404, detail: "nope" });
    });
  }

  it("resolves a name to the one factory so named, and sends an id as it is", async () => {
    const stub = await coordinator();
    const r = await captureCli(["factory", "drain", "demo-gpu", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("factory demo-gpu (fac_g) is now draining");
    expect(stub.lines).toEqual([
      "GET /api/v1/products/shop/factories",
      "POST /api/v1/products/shop/factories/fac_g/status",
    ]);
    stub.lines.length = 0;
    await captureCli(["factory", "rm", "fac_g", ...connection(stub.url, "shop")]);
    expect(stub.lines).toEqual(["DELETE /api/v1/products/shop/factories/fac_g"]);
  });

  it("says a status the factory has already as 'already', no ✔ (the coordinator's `changed: false`)", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.method === "GET"
        ? reply.json(200, { factories: [gpu] })
        : reply.json(200, { ...gpu, statusReason: "draining by alice", changed: false }),
    );
    const r = await captureCli(["factory", "drain", "demo-gpu", ...connection(stub.url, "shop")]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe("already draining: nothing changed — factory demo-gpu (fac_g)\n");
  });

  it("says a revoke of a factory revoked already as 'already', no ✔", async () => {
    const gone = factory({ id: "fac_r", name: "old-box", status: "revoked" });
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { ...gone, changed: false }));
    const r = await captureCli(["factory", "revoke", "fac_r", ...connection(stub.url, "shop")]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe(
      "already revoked: nothing changed — factory old-box (fac_r); enroll it again to bring it back\n",
    );
  });

  // `factory rm demo-gpu` said "✔ factory fac_g removed": the id alone, where every other factory change names both.
  it("factory rm by name says the name it removed beside the id", async () => {
    const stub = await coordinator();
    const r = await captureCli(["factory", "rm", "demo-gpu", ...connection(stub.url, "shop")]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe("✔ factory demo-gpu (fac_g) removed; 0 jobs requeued\n");
    const byId = await captureCli(["factory", "rm", "fac_g", ...connection(stub.url, "shop")]);
    expect(byId.stdout).toBe("✔ factory fac_g removed; 0 jobs requeued\n");
  });

  it("refuses a name no factory has, naming the fleet, and changes nothing", async () => {
    const stub = await coordinator();
    const r = await captureCli(["factory", "rm", "demo-gpuu", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^✘ ERROR not_found: no factory has the name or id demo-gpuu \/ give one of: .*demo-gpu \(fac_g\)/,
    );
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/factories"]);
  });

  // `factory revoke` says "enroll it again to bring it back"; after that the name is two factories', the revoked one
  // kept. The refusal said only "give the id instead", with both ids and nothing telling which one is the live host.
  it("factory rm: a name shared with a revoked factory is refused with each one's status and the id in service", async () => {
    const old = factory({ id: "fac_old", name: "box", status: "revoked" });
    const live = factory({ id: "fac_new", name: "box", status: "active" });
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { factories: [old, live] }));
    const r = await captureCli(["factory", "rm", "box", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^✘ ERROR ambiguous: 2 factories are named box: fac_old \(revoked\), fac_new \(active\) \/ give the id of the one you mean: fac_new is in service \(not revoked\); fac_old is revoked$/,
    );
    expect(stub.lines).toEqual(["GET /api/v1/products/shop/factories"]);
  });

  // Every other change is refused by the coordinator of a revoked factory: `factory revoke box` answered "ambiguous"
  // while its fix named the one factory it could mean.
  it("drain, revoke and the rest: a revoked factory sharing the name does not make it ambiguous", async () => {
    const old = factory({ id: "fac_old", name: "box", status: "revoked" });
    const live = factory({ id: "fac_new", name: "box", status: "active" });
    for (const verb of ["drain", "revoke", "release", "rotate"]) {
      const stub = await stubCoordinator((req, reply) => {
        if (req.method === "GET") return reply.json(200, { factories: [old, live] });
        reply.problem(409, { code: "conflict", title: "t", status: 409, detail: `reached ${req.url}` });
      });
      const r = await captureCli(["factory", verb, "box", ...connection(stub.url, "shop")]);
      expect(r.stderr).not.toContain("ambiguous");
      expect(stub.lines).toHaveLength(2);
      expect(stub.lines[1]).toMatch(/^POST \/api\/v1\/products\/shop\/factories\/fac_new\//);
    }
    // Only revoked ones so named: still resolved (the coordinator then says it is revoked), two of them ambiguous.
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === "GET") return reply.json(200, { factories: [old, { ...old, id: "fac_older" }] });
      reply.problem(409, { code: "conflict", title: "t", status: 409, detail: "revoked" });
    });
    const r = await captureCli(["factory", "drain", "box", ...connection(stub.url, "shop")]);
    expect(r.stderr).toMatch(
      /^✘ ERROR ambiguous: 2 factories are named box: fac_old \(revoked\), fac_older \(revoked\)/,
    );
  });
});
