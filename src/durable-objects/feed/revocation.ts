/**
 * @module durable-objects/feed/revocation
 * Feed streams do not outlive the token that opened them. Each stream — a
 * watcher WebSocket or an SSE response, opened with a bearer header or with a
 * ticket (which names the token it was issued to) — carries the SHA-256 of
 * that token: as a hibernation tag on the socket (so it survives eviction),
 * and beside the SSE client in memory (an SSE stream dies with the object
 * anyway). When the token is revoked, rotated or its factory deregistered,
 * the product's coordinator looks up the jobs that token watched
 * (coordinator/access/feed-readers) and tells each of their feeds, a page at a
 * time (coordinator/access/feed-closings), to close exactly those streams:
 * WebSockets with close code 4001 (`CLOSE.revoked`, as factory sockets), SSE
 * streams with a final `revoked` event, then end of stream.
 *
 * The feed keeps the revoked hash in its storage (`meta`), not in memory: a
 * stream authorised just before the revocation may reach the feed after it,
 * and by then the object may have been evicted — with an in-memory set, the
 * new instance had forgotten the revocation and opened the stream.
 *
 * Streams opened with the admin token are not tracked: the admin token is the
 * deployment secret, changed only by a redeploy (which ends every stream).
 */
import { CLOSE } from "../../shared/protocol.ts";
import { BEARER_CHALLENGE } from "../../worker/problem.ts";
import { execute } from "../sql-statements.ts";
import type { SseClient } from "./sse.ts";

/** Query parameter on the Worker → JobFeed request naming the opener (set by the Worker, never by a client). */
export const OPENED_BY_PARAM = "by";
/** Who opened a stream with the admin token: nothing to revoke. */
export const ADMIN_OPENER = "admin";
/** What a watcher is told when its stream is closed for revocation. */
export const REVOKED_REASON = "the token that opened this feed was revoked";

const TAG_PREFIX = "by:";
/** The feed's `meta` key (feed/event-log FEED_SCHEMA_SQL) remembering a revoked token hash; purges keep `meta`. */
const META_PREFIX = "revoked:";
const HASH_RE = /^[0-9a-f]{64}$/;

const encoder = new TextEncoder();

/** The last SSE event of a revoked stream (clients should not reconnect with the same credential). */
export function sseRevokedEvent(): Uint8Array {
  const data = JSON.stringify({ code: "revoked", closeCode: CLOSE.revoked, reason: REVOKED_REASON });
  return encoder.encode(`event: revoked\ndata: ${data}\n\n`);
}

/**
 * One feed's side of revocation: which token opened each stream, and which
 * tokens were revoked (kept in storage: see the module header) — so a stream
 * whose open raced the revocation (authorised just before, arriving just
 * after) is refused too.
 */
export class StreamRevocation {
  private readonly sseOpeners = new WeakMap<SseClient, string>();

  constructor(private readonly sql: SqlStorage) {}

  /** Hibernation tags for a watcher socket opened by `openedBy` (a token hash, or "admin"). */
  tags(openedBy: string): string[] {
    return HASH_RE.test(openedBy) ? ["watcher", `${TAG_PREFIX}${openedBy}`] : ["watcher"];
  }

  /** Remember which token hash opened an SSE stream. */
  track(client: SseClient, openedBy: string): void {
    if (HASH_RE.test(openedBy)) this.sseOpeners.set(client, openedBy);
  }

  /** How many streams of this feed `openedBy` holds open now (sockets by their tag, SSE streams); 0 for the admin. */
  openedBy(ctx: DurableObjectState, streams: Set<SseClient>, openedBy: string): number {
    if (!HASH_RE.test(openedBy)) return 0;
    let n = ctx.getWebSockets(`${TAG_PREFIX}${openedBy}`).length;
    for (const client of streams) if (this.sseOpeners.get(client) === openedBy) n++;
    return n;
  }

  /** A `401` for a stream opened by a token this feed already closed streams of, else null. */
  refuse(openedBy: string): Response | null {
    if (!HASH_RE.test(openedBy)) return null;
    const key = `${META_PREFIX}${openedBy}`;
    if (this.sql.exec("SELECT 1 FROM meta WHERE key = ?", key).toArray().length === 0) return null;
    const problem = {
      type: "https://gigafactory.dev/problems/unauthorized",
      title: "Authentication required",
      status: 401,
      detail: REVOKED_REASON,
      code: "unauthorized",
    };
    return new Response(JSON.stringify(problem), {
      status: 401,
      // RFC 9110 §15.5.2: every 401 names its scheme, as the Worker's own do (worker/problem BEARER_CHALLENGE).
      headers: { "content-type": "application/problem+json", "www-authenticate": BEARER_CHALLENGE },
    });
  }

  /**
   * Close every stream of this feed opened with `tokenHash`; SSE clients are
   * removed from `streams`. Returns how many were closed.
   */
  close(ctx: DurableObjectState, streams: Set<SseClient>, tokenHash: string): number {
    if (!HASH_RE.test(tokenHash)) return 0;
    execute(this.sql, "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)", `${META_PREFIX}${tokenHash}`, "");
    let closed = 0;
    for (const ws of ctx.getWebSockets(`${TAG_PREFIX}${tokenHash}`)) {
      try {
        ws.close(CLOSE.revoked, REVOKED_REASON);
      } catch {
        /* already closing */
      }
      closed++;
    }
    for (const client of streams) {
      if (this.sseOpeners.get(client) !== tokenHash) continue;
      client.write(sseRevokedEvent());
      client.end(REVOKED_REASON);
      streams.delete(client);
      closed++;
    }
    return closed;
  }
}
