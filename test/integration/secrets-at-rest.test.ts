// No secret at rest: after every credential has been minted, used, rotated and revoked, and the history has reached
// D1, no token, enrollment code, feed ticket or webhook secret (whole, or its secret part) is in any table of the
// coordinator's SQLite or key-value storage, of the job feed's, or of D1 — the webhook secret alone is kept, in the
// coordinator (it signs deliveries), and nowhere else.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, P, rawApi, submit } from "./client";
import { auditDelivered } from "./history-wait.ts";
import { HOOK_URL, receiver } from "./webhook-receiver";

/** Every row of every table of a Durable Object's SQLite, and every key-value entry, as text. */
async function dumpObject(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, async (_i, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
      .toArray()
      .map((t) => t.name);
    const rows = tables.map((t) => `${t}: ${JSON.stringify(sql.exec(`SELECT * FROM "${t}"`).toArray())}`);
    const kv = JSON.stringify([...(await state.storage.list()).entries()]);
    return `${rows.join("\n")}\n${kv}`;
  });
}

async function dumpD1(): Promise<string> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'",
  ).all<{ name: string }>();
  const out: string[] = [];
  for (const { name } of results) {
    out.push(`${name}: ${JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)}`);
  }
  return out.join("\n");
}

/** The secret itself and its random part (base64url may hold "_": cut the known prefix, not at a "_"). */
function forms(product: string, secret: string): string[] {
  for (const prefix of [`gf_${product}_`, `gfe_${product}_`]) {
    if (secret.startsWith(prefix)) return [secret, secret.slice(prefix.length)];
  }
  return [secret];
}

describe("secrets at rest", () => {
  it("no credential in the coordinator's, the feed's or D1's storage; the webhook secret only in the coordinator", async () => {
    const product = "rest-secrets";
    const mint = async (role: "operator" | "viewer") =>
      (
        await api<{ id: string; token: string }>("POST", `${P(product)}/tokens`, {
          token: ADMIN,
          json: { role, name: role },
        })
      ).body;
    const operator = await mint("operator");
    const viewer = await mint("viewer");
    const code = (
      await api<{ code: string }>("POST", `${P(product)}/factories/enrollment-codes`, {
        token: operator.token,
        json: { name: "host-1" },
      })
    ).body.code;
    const enrolled = await rawApi<{ factoryId: string; token: string }>("POST", `${P(product)}/factories/enroll`, {
      token: code,
      json: { name: "host-1", capabilities: [], seats: 1 },
    });
    expect(enrolled.status).toBe(201);
    const rotated = await api<{ token: string }>(
      "POST",
      `${P(product)}/factories/${enrolled.body.factoryId}/token/rotate`,
      { token: operator.token },
    );
    expect(rotated.status).toBe(200);
    const webhookSecret = "whsec-0123456789abcdef-unique";
    const answering = receiver(); // deliveries answered in the test, not sent off the machine
    const hook = await api("PUT", `${P(product)}/webhook`, {
      token: operator.token,
      json: { url: `${HOOK_URL}/services/T0/B0/X0`, secret: webhookSecret },
    });
    expect(hook.status).toBe(200);
    await submit(product, { title: "uses every credential" });
    const held = await claim(product, rotated.body.token);
    expect(held.status).toBe(200);
    const jobId = held.body.job.id;
    const ticket = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, {
      token: viewer.token,
    });
    expect(ticket.status).toBe(201);
    const factoryTicket = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, {
      token: rotated.body.token,
    });
    expect(factoryTicket.status).toBe(201);
    expect((await api("DELETE", `${P(product)}/tokens/${viewer.id}`, { token: ADMIN })).status).toBe(200);
    // Every audited step has reached D1 (history-wait `auditDelivered`: the last one, the viewer's revocation, too).
    const audit = await auditDelivered(product);
    expect(audit.map((a) => a.action)).toContain("token.revoke");

    const coordinator = await dumpObject(env.COORDINATOR.getByName(product));
    const feed = await dumpObject(env.JOB_FEED.getByName(`${product}:${jobId}`));
    const d1 = await dumpD1();
    expect(d1).toContain("token.revoke"); // the dump reads what it claims to read
    const credentials = [
      operator.token,
      viewer.token,
      code,
      enrolled.body.token,
      rotated.body.token,
      ticket.body.ticket,
      factoryTicket.body.ticket,
      ADMIN,
    ];
    for (const secret of credentials.flatMap((s) => forms(product, s))) {
      expect(coordinator).not.toContain(secret);
      expect(feed).not.toContain(secret);
      expect(d1).not.toContain(secret);
    }
    expect(coordinator).toContain(webhookSecret); // kept to sign deliveries
    expect(feed).not.toContain(webhookSecret);
    expect(d1).not.toContain(webhookSecret);
    expect(d1).not.toContain("/services/T0/B0/X0"); // the URL's path is the receiver's secret too
    answering.restore();
  });
});
