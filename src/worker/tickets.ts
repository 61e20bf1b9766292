/**
 * @module worker/tickets
 * Short-lived feed tickets for browsers, which cannot set headers on a
 * WebSocket: an HMAC-signed `{product, job, exp, opener}` valid for one job's
 * feed for 60 s. A ticket in a URL can leak to logs; one that reads one job's
 * feed for a minute is a much smaller leak than a long-lived bearer token.
 *
 * A ticket is only as good as the token it was issued to: it names that
 * token's SHA-256 (`opener`, or "admin"), and using it checks the token is
 * still live (worker/feed-access) — so revoking a token also kills the
 * tickets it issued, and the stream a ticket opens is closed with the token.
 *
 * A ticket opens one stream: its coordinator records the SHA-256 of each
 * ticket used (of its signed payload, so no other spelling of the same
 * ticket counts as new) until it expires, and refuses it a second time, so a ticket
 * copied out of a log or a proxy's URL record is worthless once the browser
 * has used it (a reconnect asks for a fresh one, as dashboard/feed does).
 */
import { fitsUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";
import { adminToken, type Opener, sha256Hex } from "./auth.ts";

/** Long enough to open the socket after fetching the ticket, short enough not to matter if logged. */
export const TICKET_TTL_MS = 60_000;

const enc = new TextEncoder();

/** A ticket as issueTicket writes it: base64url payload, `.`, base64url signature — nothing else. */
const TICKET_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The HMAC key, kept with the secret it was derived from: imported once per isolate, not per ticket. */
let ticketKey: { secret: string; key: CryptoKey } | undefined;

async function key(env: Env): Promise<CryptoKey> {
  // The admin token as auth reads it: a blank secret is none (not a key anyone could guess), a piped one's newline
  // is not part of it.
  const secret = adminToken(env);
  if (!secret) throw new DomainError("forbidden", "feed tickets need the GIGAFACTORY_ADMIN_TOKEN secret to be set");
  if (ticketKey?.secret !== secret) {
    const k = await crypto.subtle.importKey(
      "raw",
      enc.encode(`feed-ticket:${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    ticketKey = { secret, key: k };
  }
  return ticketKey.key;
}

/** A ticket for `jobId`'s feed, bound to the token (hash) that asked for it; `expiresAt` in ms. */
export async function issueTicket(env: Env, productId: string, jobId: string, opener: Opener, now: number) {
  const exp = now + TICKET_TTL_MS;
  // 128 random bits: two tickets for the same job, token and millisecond are still two tickets, each usable once.
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const payload = enc.encode(JSON.stringify({ p: productId, j: jobId, exp, o: opener, n: nonce }));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await key(env), payload));
  return { ticket: `${b64url(payload)}.${b64url(sig)}`, expiresAt: exp };
}

/** A verified ticket: the token (hash, or "admin") it is bound to, and what spends it (coordinator `spendTicket`). */
export interface VerifiedTicket {
  opener: Opener;
  /**
   * SHA-256 (hex) of the ticket's signed payload: what the coordinator records as used, never the ticket itself. Not
   * of the string presented: base64 has several spellings of the same bytes (padding, the bits an unpadded tail
   * drops), and each spelling hashed apart opened one more stream with one ticket.
   */
  hash: string;
  /** When it expires (ms): its used-record may be dropped after this. */
  expiresAt: number;
}

/**
 * Checks signature, product, job and expiry; returns the opener the ticket is bound to.
 * Whether that token is still live, and whether the ticket was used already, are the caller's checks
 * (worker/feed-access).
 * @throws DomainError `unauthorized`.
 */
export async function verifyTicket(
  env: Env,
  ticket: string,
  productId: string,
  jobId: string,
  now: number,
): Promise<VerifiedTicket> {
  const bad = new DomainError("unauthorized", "feed ticket is invalid or expired; request a new one");
  // Exactly what issueTicket writes: two base64url parts. atob would also take padding and blanks, and split() a
  // third part, none of which the signature covers.
  if (!fitsUtf8(ticket, 512) || !TICKET_SHAPE.test(ticket)) throw bad;
  const [p, s] = ticket.split(".") as [string, string];
  let payload: Uint8Array;
  let sig: Uint8Array;
  try {
    payload = fromB64url(p);
    sig = fromB64url(s);
  } catch {
    throw bad;
  }
  if (!(await crypto.subtle.verify("HMAC", await key(env), sig, payload))) throw bad;
  const signed = new TextDecoder().decode(payload);
  const claims = JSON.parse(signed) as {
    p: string;
    j: string;
    exp: number;
    o?: unknown;
    n?: unknown;
  };
  if (claims.p !== productId || claims.j !== jobId || claims.exp <= now) throw bad;
  // Tickets from before tickets were bound to a token, or made single-use, name none: refuse them (they live 60 s).
  if (typeof claims.o !== "string" || typeof claims.n !== "string") throw bad;
  // The signed bytes, however they were spelled: one ticket, one record (its nonce makes each ticket's unique).
  return { opener: claims.o, hash: await sha256Hex(signed), expiresAt: claims.exp };
}
