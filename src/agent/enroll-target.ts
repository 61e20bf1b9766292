/**
 * @module agent/enroll-target
 * Which factory a state dir belongs to, so `enroll` never silently replaces another one. A state dir holds one
 * factory's token (`config.json`); `enroll` into a state dir whose config already holds a token of ANOTHER factory
 * rewrote it: that factory's token was gone (nothing else has it — the coordinator keeps only its hash), its agent
 * could never connect again, and `gigafactory factories` listed it `never connected`.
 *
 * A factory is its product and its name: the coordinator keeps names unique per product, and `gigafactory factory
 * rm NAME` and enrollment codes (bound to a name) say which factory by them. So "another factory" is a stored token of
 * another product, or of another name within it. The same product and name is the same factory enrolled again — a
 * rotated token stored with `--token`, a host enrolled afresh after `factory rm`, a coordinator that moved (the URL is
 * where the factory is reached, not which one it is) — and goes on, as it always did. A config file without a token
 * (only `run` defaults, such as engines) belongs to no factory yet.
 */
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import type { ConfigFile } from "./config.ts";
import { productOfSecret } from "./credential-checks.ts";

/**
 * Refuses, before any code is redeemed or anything written, an enrollment of `next` (its product, and its name —
 * undefined when `--token` comes without `--name`: the stored factory's name is then kept) into the state dir whose
 * config file `file` holds `previous`, when that holds the token of another factory.
 * @throws FixableError `other_factory` (exit 2): names the factory already there and both ways on — its own state dir
 *   for the new factory (`--state-dir`), or deregistering the old one (`gigafactory factory rm`) and removing the file.
 */
export function assertSameFactory(
  previous: ConfigFile,
  next: { product: string; name: string | undefined },
  file: string,
): void {
  if (previous.token === undefined) return;
  const product = previous.product ?? productOfSecret(previous.token);
  const otherProduct = product !== undefined && product !== next.product;
  const otherName = previous.name !== undefined && next.name !== undefined && previous.name !== next.name;
  if (!otherProduct && !otherName) return;
  const there = `${previous.name ?? "a factory"}${product !== undefined ? ` of product ${product}` : ""}`;
  const asked = `${next.name ?? "a factory"} of product ${next.product}`;
  const rm = `gigafactory factory rm ${previous.name ?? "NAME"}`;
  throw new FixableError(
    "other_factory",
    `${file} already holds the token of ${there}: enrolling ${asked} here would replace it, and ${previous.name ?? "that factory"} could never connect again; nothing was sent or changed`,
    `to run both on this host, give the new one its own state dir: --state-dir DIR (or GIGAFACTORY_AGENT_STATE); ` +
      `to replace ${previous.name ?? "it"}, an operator deregisters it (\`${rm}\`), then delete ${file} and run this again`,
    EXIT_USAGE,
  );
}

/**
 * The coordinator would not enroll `name` of `product` — the code refused (401: used, expired) or the name taken
 * (409) — while the state dir's config `file` holds `previous`, a token of that very factory: this host is enrolled
 * already, most likely by this very code, which works once (an `enroll` run twice). It said "ask an operator for a new
 * one", and the new one met the taken name and "deregister the old factory": a working enrollment was torn down and
 * done again. `start`: the command that runs this agent. Undefined when the state dir holds no token of that factory.
 * @returns FixableError `already_enrolled` (exit 1): nothing was changed; start it, or how to enroll it afresh
 */
export function alreadyEnrolled(
  previous: ConfigFile,
  next: { product: string; name: string },
  file: string,
  detail: string,
  start: string,
): FixableError | undefined {
  if (previous.token === undefined) return undefined;
  const product = previous.product ?? productOfSecret(previous.token);
  if (product !== next.product || (previous.name !== undefined && previous.name !== next.name)) return undefined;
  const id = previous.factoryId ? ` (${previous.factoryId})` : "";
  return new FixableError(
    "already_enrolled",
    `the coordinator did not enroll ${next.name} again (${detail}), and ${file} already holds the token of ${next.name}${id} of product ${next.product}: this host is enrolled already (a code works once: most likely this one enrolled it); nothing was changed`,
    `start it: ${start}; to enroll it afresh instead, an operator deregisters it (\`gigafactory factory rm ${next.name}\`) and gives a new code`,
  );
}
