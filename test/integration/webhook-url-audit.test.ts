// A viewer cannot learn the webhook's URL: `GET …/webhook` is operator-only, and the audit log, which viewers read,
// names only the URL's origin (whether it changed is still recorded). Many receivers (Slack, Discord, Teams,
// Zapier) take the secret in the URL's path or query, so for them the URL is the credential. Found by a security
// review: `webhook.set` and `webhook.delete` audited the whole URL (and the previous one), which any viewer token
// read through `GET …/history?kind=audit` while the same token was refused `GET …/webhook` with 403.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, until } from "./client";

const SECRET_URL = "https://hooks.example.com/services/T0AAA/B0BBB/PathSecretXYZ?token=QuerySecretXYZ";
const NEXT_URL = "https://hooks.example.com/services/T0AAA/B0BBB/OtherPathSecret";

type Audit = { items: Array<{ action: string; detail: Record<string, unknown> }> };

describe("the webhook URL in the audit log", () => {
  it("names only the origin, to every reader, while the operator still reads the whole URL", async () => {
    const product = "wh-url-audit";
    const put = (url: string) =>
      api("PUT", `${P(product)}/webhook`, { token: ADMIN, json: { url, secret: "sixteen-chars-secret" } });
    expect((await put(SECRET_URL)).status).toBe(200);
    expect((await put(NEXT_URL)).status).toBe(200);
    expect((await api("DELETE", `${P(product)}/webhook`, { token: ADMIN })).status).toBe(200);
    const viewer = await api<{ token: string }>("POST", `${P(product)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "v" },
    });
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit&limit=500`, { token: viewer.body.token }),
      (r) => r.body.items.filter((i) => i.action.startsWith("webhook.")).length >= 3,
    );
    const entries = audit.body.items.filter((i) => i.action.startsWith("webhook."));
    expect(entries.map((e) => e.action)).toEqual(["webhook.set", "webhook.set", "webhook.delete"]);
    const text = JSON.stringify(entries);
    for (const secret of ["PathSecretXYZ", "QuerySecretXYZ", "OtherPathSecret", "T0AAA"])
      expect(text).not.toContain(secret);
    expect(entries[0]?.detail).toMatchObject({ url: "https://hooks.example.com/…" });
    expect(entries[1]?.detail).toMatchObject({ url: "https://hooks.example.com/…", urlChanged: true });

    // The operator, who may read the webhook, still gets it whole.
    expect((await put(SECRET_URL)).status).toBe(200);
    expect((await api("GET", `${P(product)}/webhook`, { token: ADMIN })).body).toMatchObject({ url: SECRET_URL });
  });
});
