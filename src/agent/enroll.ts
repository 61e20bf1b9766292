/**
 * @module agent/enroll
 * `gigafactory-agent enroll`: trade a one-time enrollment code (`gfe_…`, from an
 * operator) for this host's factory token, registering the host's detected
 * capabilities, and store `{url, product, factoryId, token}` in the state dir's
 * `config.json` (0600) for `run`. With `--token` (a factory token an operator
 * already issued) nothing is called: the token is just stored. `--product` may be left out: a code or token names
 * its product, and one naming another product than `--product` is refused (`wrong_product`), as is a token passed as
 * `--code` or a code as `--token` (`token_is_code`), a name beside a code that no factory can have (`bad_name`) and a URL
 * that cannot be a coordinator (`bad_url`): all exit 2.
 * `--url` and `--product` may come from GIGAFACTORY_URL and GIGAFACTORY_PRODUCT, as for `run` (flags win; empty is unset).
 * With a code, a nonce kept in the state dir goes with it (agent/enroll-nonce): run again after a crash that lost the
 * answer, enroll resumes that enrollment (`resumed an interrupted enrollment`). A coordinator that refuses the code, or cannot be reached, or answers with something other than an enrolled factory
 * and its token (`bad_response`: agent/enroll-answer), is a failed operation: FixableError, exit 1. A state dir
 * a running agent holds is refused before the code is spent (`state_in_use`, exit 2: agent/state-lock), and so is one
 * whose config holds another factory's token (`other_factory`, exit 2: agent/enroll-target), and one whose engine user
 * `run` would refuse (`engine_user_access`, exit 2: agent/engine-user-setup). What a refusal says: agent/enroll-refusal. A code sent
 * over plain http to a host that is not loopback is warned about (`url.plain_http`, agent/credential-checks), not refused.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { envValue } from "../shared/env-value.ts";
import { EXIT_USAGE, FixableError } from "../shared/fixable-error.ts";
import { assertProductId } from "../shared/product-id-input.ts";
import { checkedCaps } from "./capabilities.ts";
import { type FlagValues, parseNumber } from "./cli-args.ts";
import type { ConfigFile } from "./config.ts";
import { configFileWarnings } from "./config-file-checks.ts";
import { readConfigFile } from "./config-read.ts";
import {
  assertCode,
  assertHostName,
  assertSameProduct,
  assertToken,
  checkedUrl,
  PRODUCT_FIX,
  plainHttpWarning,
  productOfSecret,
} from "./credential-checks.ts";
import { assertEngineUserCanWork } from "./engine-user-setup.ts";
import { checkedEnrollAnswer } from "./enroll-answer.ts";
import { enrollNonce, forgetNonce, RESUME_WHILE } from "./enroll-nonce.ts";
import { enrollFailure } from "./enroll-refusal.ts";
import { saveEnrollment } from "./enroll-save.ts";
import { assertSameFactory } from "./enroll-target.ts";
import { hostProfile } from "./host.ts";
import { interruptible } from "./interrupt.ts";
import type { Output } from "./output.ts";
import { enroll, RestError } from "./rest.ts";
import { configPath } from "./state.ts";
import { notMadeYet, removeMadeIfEmpty } from "./state-dir-made.ts";
import { sweepStateTemps } from "./state-leftovers.ts";
import { lockStateDir } from "./state-lock.ts";

const str = (v: FlagValues[string] | undefined): string | undefined => (typeof v === "string" ? v : undefined);

/** `word` as one shell word: as is when it holds only safe characters, else single-quoted. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;

/**
 * The command that starts this agent as README "Install the agent on a host" says: this Node running this checkout's
 * bin, by absolute paths so it works from any directory. It said `gigafactory-agent run`, which no install puts on
 * PATH (command not found), and `npx gigafactory-agent run` runs the agent as npm's child, out of reach of a SIGTERM.
 */
function runCommand(): string {
  const bin = fileURLToPath(new URL("../../bin/gigafactory-agent.mjs", import.meta.url));
  return `${shellWord(process.execPath)} ${shellWord(bin)} run`;
}

/** The first `[value, source]` whose value is given, else `[undefined, ""]`. */
function firstGiven(...candidates: [string | undefined, string][]): [string | undefined, string] {
  return candidates.find(([v]) => v !== undefined) ?? [undefined, ""];
}

/**
 * `enroll`: checks the command line (FixableError exit 2), then trades `--code` for a token (FixableError exit 1 when
 * the coordinator refuses or cannot be reached) or stores `--token`, writing `<stateDir>/config.json` (0600). `env`
 * (main passes process.env) gives GIGAFACTORY_URL and GIGAFACTORY_PRODUCT when `--url`/`--product` are left out.
 */
export async function enrollCommand(
  flags: FlagValues,
  stateDir: string,
  out: Output,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<void> {
  // As `run` reads them (agent/config): a flag wins over the environment, and an empty variable is unset.
  const [rawUrl, urlSource] = firstGiven(
    [str(flags.url), "--url"],
    [envValue(env, "GIGAFACTORY_URL"), "GIGAFACTORY_URL"],
  );
  const code = str(flags.code);
  const token = str(flags.token);
  if (!rawUrl)
    throw new FixableError(
      "usage",
      "enroll needs the coordinator URL",
      "pass --url https://… or set GIGAFACTORY_URL",
      EXIT_USAGE,
    );
  const url = checkedUrl(rawUrl, urlSource);
  if (!code && !token)
    throw new FixableError(
      "missing_code",
      "enroll needs an enrollment code or a factory token",
      "pass --code gfe_… (ask an operator for one) or --token gf_…",
      EXIT_USAGE,
    );
  if (code && token)
    throw new FixableError(
      "code_and_token",
      "enroll takes an enrollment code or a factory token, not both",
      "pass only --code gfe_… (to enroll this host) or only --token gf_… (to store a token an operator issued)",
      EXIT_USAGE,
    );
  const secret = (code ?? token) as string;
  if (code) assertCode(code, "--code");
  else assertToken(secret, "--token");
  const [given, productSource] = firstGiven(
    [str(flags.product), "--product"],
    [envValue(env, "GIGAFACTORY_PRODUCT"), "GIGAFACTORY_PRODUCT"],
  );
  if (given !== undefined) assertProductId(given, productSource, PRODUCT_FIX); // before anything is sent
  if (given !== undefined) assertSameProduct(secret, code ? "code" : "token", given, productSource);
  const product = given ?? productOfSecret(secret);
  if (!product)
    throw new FixableError(
      "product_required",
      "enroll needs the product",
      "pass --product NAME or set GIGAFACTORY_PRODUCT",
      EXIT_USAGE,
    );
  const name = str(flags.name) ?? (os.hostname().split(".")[0] || "factory");
  // Sent only with a code (a stored --token's name is only shown): checked as the coordinator will, before it is.
  if (code) assertHostName(name, str(flags.name) !== undefined ? "--name" : "this host's name (no --name given)");
  const seats = parseNumber("seats", str(flags.seats), 1, 64) ?? 1;
  const extraCaps = checkedCaps(Array.isArray(flags.cap) ? flags.cap : []);
  // Before the code is spent: the token of a running agent's state dir is not rewritten under it (agent/state-lock).
  const made = notMadeYet(stateDir);
  const release = lockStateDir(stateDir, "enroll");
  // Ended having sent nothing: the nonce, the lock and the dirs this enroll made go (agent/state-dir-made).
  const leave = (): void => {
    if (made === undefined) return;
    forgetNonce(stateDir);
    release();
    removeMadeIfEmpty(stateDir, made);
  };
  sweepStateTemps(stateDir, out); // writes a kill -9 cut short: a config's held its token (agent/state-leftovers)
  const previous = readConfigFile(configPath(stateDir));
  // Before the code is spent: another factory's token here is never overwritten (agent/enroll-target).
  const namedToken = code || str(flags.name) !== undefined ? name : undefined; // a bare --token keeps the stored name
  assertSameFactory(previous, { product, name: namedToken }, configPath(stateDir));
  // Kept in the file enroll rewrites, so named now; its mode is not: the rewrite makes it 0600.
  for (const w of configFileWarnings(configPath(stateDir), previous, undefined)) out.say("⚠", w.event, w.text);

  // Saved for `run` (the config file's `workDir`, `engineUser`): the printed line then needs no flag of them.
  const forRun = {
    ...(str(flags["work-dir"]) !== undefined ? { workDir: path.resolve(str(flags["work-dir"]) as string) } : {}),
    ...(str(flags["engine-user"]) !== undefined ? { engineUser: str(flags["engine-user"]) } : {}),
  };
  const startLine = `${runCommand()}${flags["state-dir"] ? ` --state-dir ${shellWord(stateDir)}` : ""}`;
  let stored: ConfigFile;
  if (code) {
    // Only with a code is anything sent (a stored --token is warned about by `run`, which sends it).
    const clear = plainHttpWarning(url, "the enrollment code and the factory token it is traded for travel");
    if (clear) out.say("⚠", "url.plain_http", clear, { url });
    const { capabilities } = hostProfile(previous.engines ?? {}, extraCaps);
    // Before the code is spent: the work dir `run` will check its engine user can reach (agent/engine-user-setup).
    try {
      assertEngineUserCanWork({ ...previous, ...forRun }, stateDir);
    } catch (err) {
      leave();
      throw err;
    }
    // On disk before the code is sent: an answer lost to a crash is got back by sending the same (agent/enroll-nonce).
    const attempt = enrollNonce(stateDir, code);
    let answer: unknown;
    try {
      const asked = { name, capabilities, seats: Math.round(seats), nonce: attempt.nonce };
      answer = await interruptible(out, INTERRUPTED, () => enroll({ url, product, token: code }, asked));
    } catch (err) {
      if (err instanceof RestError && err.unsent) leave();
      throw enrollFailure(err, { stateDir, url, product, name, previous, startLine, again: attempt.again });
    }
    // Checked before anything is saved or said: a 2xx of another shape is not an enrollment (agent/enroll-answer).
    const enrolled = checkedEnrollAnswer(answer, product, url);
    stored = {
      ...previous,
      url,
      product,
      factoryId: enrolled.factoryId,
      token: enrolled.token,
      name,
      // The code may cap the seats below what was asked (its operator's --seats): run what was granted.
      seats: Math.min(Math.round(seats), enrolled.factory.seatLimit ?? Math.round(seats)),
    };
    const capped =
      stored.seats !== undefined && stored.seats < Math.round(seats)
        ? ` (seats capped to ${stored.seats} by the code)`
        : "";
    // Resumed: the factory an earlier, interrupted enroll with this code made — its grant, and a new token.
    const how = enrolled.resumed
      ? `resumed an interrupted enrollment: ${name} (${enrolled.factoryId}) in ${product}, with a new token`
      : `enrolled as ${name} (${enrolled.factoryId}) in ${product}, caps: ${capabilities.join(", ")}${capped}`;
    out.say("✔", "enrolled", how, {
      factoryId: enrolled.factoryId,
      capabilities,
      ...(enrolled.resumed ? { resumed: true } : {}),
    });
  } else {
    // A token stored again (a rotated one) keeps the stored seats unless --seats says otherwise: they reset to 1.
    const kept = flags.seats === undefined ? previous.seats : undefined;
    stored = {
      ...previous,
      url,
      product,
      token,
      name: namedToken ?? previous.name ?? name,
      seats: kept ?? Math.round(seats),
    };
    delete stored.factoryId;
    out.say("✔", "enrolled", `stored the factory token for ${product}`);
  }
  if (extraCaps.length > 0) stored.capabilities = extraCaps;
  Object.assign(stored, forRun);
  // With a code, the token is in memory only: a failed write says it is lost and the way back (agent/enroll-save).
  const file = saveEnrollment(stateDir, stored, code ? { name, factoryId: stored.factoryId ?? "" } : undefined);
  if (code) forgetNonce(stateDir); // the token is saved: nothing is left to resume
  out.say("·", "config.written", `saved ${file} (mode 0600) — start with: ${startLine}`, { file });
}

/** What a signal during the enrollment's request says: the code may be spent, and running it again gets that back. */
const INTERRUPTED = {
  what: "enroll stopped before the coordinator answered; if it took the code, this host's factory exists already",
  fix: `run this same command again: it resumes that enrollment ${RESUME_WHILE}, or enrolls with the code if it was not taken`,
};
