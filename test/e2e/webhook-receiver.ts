/**
 * @module test/e2e/webhook-receiver
 * A webhook receiver as an operator would run one, for the end-to-end scenarios: a plain Node HTTP server on
 * 127.0.0.1 that checks every delivery's signature the way the coordinator documents it (core/webhook-signature:
 * `X-Gigafactory-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Gigafactory-Timestamp>.<raw body>")>`, timestamp
 * within 5 minutes of its clock), dedupes on the delivery id (`X-Gigafactory-Delivery`, also `deliveryId` in the
 * body), and can refuse with 500 the first attempt of one chosen delivery, to force the queue to redeliver it.
 * Verification uses node:crypto, not the coordinator's own code, so a wrong scheme on either side shows.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";

/** What a delivery's JSON body holds (worker outbox/webhook-records `WebhookBody`). */
export interface WebhookDelivery {
  deliveryId: string;
  productId: string;
  type: string;
  at: number;
  jobId?: string;
  job?: { id: string; stage?: string; from?: string; to?: string } & Record<string, unknown>;
  alert?: { id: string; kind: string; subject: string; state: string } & Record<string, unknown>;
}

/** One POST as it arrived, valid or not, and what the receiver answered. */
export interface Attempt {
  deliveryId: string;
  valid: boolean;
  why?: string;
  status: number;
  body?: WebhookDelivery;
}

/** A replayed request older (or newer) than this is refused, as the signature's timestamp is meant to allow. */
const MAX_SKEW_S = 300;

export class WebhookReceiver {
  readonly attempts: Attempt[] = [];
  /** Deduped: the first accepted attempt of each delivery id, in arrival order. */
  readonly deliveries = new Map<string, WebhookDelivery>();
  /** The delivery id refused once on purpose, once chosen. */
  refusedId: string | undefined;
  private server: Server | undefined;

  /** @param refuseOnce picks the ONE delivery whose first attempt is answered 500 (the first match). */
  constructor(
    private readonly secret: string,
    private readonly refuseOnce: (d: WebhookDelivery) => boolean,
  ) {}

  /** Listens on a free loopback port; resolves to the hook's URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const a = this.receive(req.headers, Buffer.concat(chunks).toString("utf8"));
        this.attempts.push(a);
        res.writeHead(a.status, { "content-type": "text/plain" }).end(a.valid ? "ok" : (a.why ?? "refused"));
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/hook`;
  }

  private receive(headers: NodeJS.Dict<string | string[]>, raw: string): Attempt {
    const h = (name: string) => String(headers[name] ?? "");
    const deliveryId = h("x-gigafactory-delivery");
    const ts = Number(h("x-gigafactory-timestamp"));
    const expected = `sha256=${createHmac("sha256", this.secret).update(`${ts}.${raw}`).digest("hex")}`;
    const got = h("x-gigafactory-signature");
    const same = got.length === expected.length && timingSafeEqual(Buffer.from(got), Buffer.from(expected));
    if (!same) return { deliveryId, valid: false, why: `bad signature ${got}`, status: 401 };
    if (!Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > MAX_SKEW_S)
      return { deliveryId, valid: false, why: `timestamp ${ts} out of range`, status: 401 };
    const body = JSON.parse(raw) as WebhookDelivery;
    if (body.deliveryId !== deliveryId)
      return { deliveryId, valid: false, why: `body names ${body.deliveryId}`, status: 400, body };
    if (this.refusedId === undefined && this.refuseOnce(body)) {
      this.refusedId = deliveryId;
      return { deliveryId, valid: true, status: 500, body };
    }
    // Dedupe: a redelivery of an id already accepted is acknowledged and not counted again.
    if (!this.deliveries.has(deliveryId)) this.deliveries.set(deliveryId, body);
    return { deliveryId, valid: true, status: 200, body };
  }

  /**
   * What was heard, deduped, as sorted keys: `<jobId> job.submitted`, `<jobId> job.stage <stage entered>`,
   * `<alertId> alert.<opened|acknowledged|resolved>` (health-probes `changes` builds the same from the API).
   */
  keys(): string[] {
    return [...this.deliveries.values()]
      .map((d) => {
        if (d.type === "job.submitted") return `${d.jobId} job.submitted`;
        if (d.type === "job.stage") return `${d.jobId} job.stage ${String(d.job?.to)}`;
        if (d.type.startsWith("alert.")) return `${d.alert?.id} ${d.type}`;
        return `? ${d.type}`;
      })
      .sort();
  }

  /** Attempts (accepted or refused) of one delivery id. */
  attemptsOf(deliveryId: string): Attempt[] {
    return this.attempts.filter((a) => a.deliveryId === deliveryId);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
