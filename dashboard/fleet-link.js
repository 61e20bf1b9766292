// fleet-link.js — whether a factory's agent is connected, on the fleet map (the fleet answer's `connected` and
// `disconnectedAt`, read by the coordinator from its own sockets): a factory whose socket closed (host crashed,
// network cut) showed "health ok" for 30 s and more, until its heartbeats lapsed. Its health still shows beside it:
// health is heartbeat-based on purpose, so a reconnect within seconds does not flap it.

import { ago, h, when } from "./dom.js";
import { grouped } from "./format.js";

/**
 * Whether the card says "disconnected": the coordinator says so (an older one says nothing), of a factory whose link
 * is expected — not one never connected (its agent has not started), not one that left on purpose, not a revoked one.
 * @param {any} f a Factory as GET …/factories lists it
 */
export const disconnected = (f) =>
  f.connected === false &&
  f.lastHeartbeatAt !== undefined &&
  f.lastHeartbeatAt !== null &&
  f.health !== "left" &&
  f.status !== "revoked";

/**
 * The health line's "disconnected 12 s ago" (or "disconnected" when the coordinator did not see the end: it went
 * down with it), null while connected. Its age is kept current in place (fleet.js refreshTimes reads `data-ago`);
 * the words a screen reader gets say what it means, not a colour.
 * @param {any} f a Factory @param {number} [now] epoch ms
 */
export function linkBadge(f, now = Date.now()) {
  if (!disconnected(f)) return null;
  const at = typeof f.disconnectedAt === "number" ? f.disconnectedAt : undefined;
  const since = at === undefined ? "" : ` since ${when(at)}`;
  return h(
    "span",
    {
      class: "badge link-down",
      dataset: { testid: "link-down" },
      title: `No live link to the coordinator${since}: no work is pushed to it. Its health follows its heartbeats.`,
    },
    h(
      "span",
      at === undefined ? null : { dataset: { ago: at, before: "disconnected " } },
      at === undefined ? "disconnected" : `disconnected ${ago(at, now)}`,
    ),
    h("span", { class: "sr-only" }, ": no live link to the coordinator"),
  );
}

/**
 * The Fleet line's count of them, " · 2 disconnected", or "" when none is — not of those down already: the line
 * counts their seats "on factories down" (a socket left open while the beats stopped is disconnected AND down, and
 * was counted twice).
 * @param {any[]} factories
 */
export function disconnectedText(factories) {
  const n = factories.filter((f) => disconnected(f) && f.health !== "down").length;
  return n ? ` · ${grouped(n)} disconnected` : ""; // grouped as the counts beside it: "1,001 factories"
}
