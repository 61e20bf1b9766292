/**
 * @module worker/queues/dead-letter-calls
 * How every queue consumer keeps a batch's dead letters: all of them in one call (worker/queues/dead-letters
 * `keepDeadLetters`: bounded D1 batches, or with D1 refusing them one call per product to its coordinator, audited and
 * alerted once a call), then each message settled on its own letters — acked once all are kept, else retried. A call
 * a message had been, with D1 down, one coordinator call, one `outbox.dead_letter` audit record and one ALERT line
 * per message: 100 of each for a batch of 100. A call holds at most DEAD_LETTER_CALL_BYTES, a message's letters never
 * split between calls: a batch of bulk messages whose every item the coordinator refused (a few thousand a message,
 * each with its reason) is more than one Durable Object RPC may carry, or than the isolate should hold at once.
 */
import { jsonSize } from "../../core/chunks.ts";
import { type DeadLetter, keepDeadLetters } from "./dead-letters.ts";
import { queueRetryDelay } from "./retry.ts";

/**
 * Bytes of dead letters (UTF-8: bodies as JSON, reasons) one call keeps, a message's all together however many: a
 * quarter of the 32 MiB a Durable Object RPC may carry, as their coordinator fallback sends them.
 */
export const DEAD_LETTER_CALL_BYTES = 8 * 1024 * 1024;

/** One message's dead letters: it is acked once all of them are kept (and `afterKept`, if given, answers true). */
export interface MessageLetters {
  msg: Message<unknown>;
  letters: DeadLetter[];
  /**
   * What must happen once its letters are kept, before it is acked (the dispatch consumer's: telling its bulk batch
   * its items will not come). false, or a throw: the message is retried.
   */
  afterKept?: () => Promise<boolean>;
}

/** A message's dead letters' bytes as a call carries them (bodies' JSON and reasons, UTF-8). */
function bytesOf(letters: readonly DeadLetter[]): number {
  return letters.reduce((n, d) => n + jsonSize(d.body ?? null) + jsonSize(d.reason), 0);
}

/**
 * A batch's dead letters, gathered message by message (`add`) and kept in as few calls as DEAD_LETTER_CALL_BYTES
 * allows — one for any batch but the largest — each message settled once its call is done: acked once all its
 * letters are kept (and its `afterKept` answered true), else retried after `delay(attempts)` seconds; one product's
 * coordinator failing retries that product's messages only. Never throws.
 */
export class DeadLetterCalls {
  private groups: MessageLetters[] = [];
  private bytes = 0;

  constructor(
    private readonly env: Env,
    private readonly delay: (attempts: number) => number = queueRetryDelay,
  ) {}

  /** Adds a message's letters; when they would take the letters held past DEAD_LETTER_CALL_BYTES, keeps those first. */
  async add(group: MessageLetters): Promise<void> {
    const size = bytesOf(group.letters);
    if (this.groups.length > 0 && this.bytes + size > DEAD_LETTER_CALL_BYTES) await this.flush();
    this.groups.push(group);
    this.bytes += size;
  }

  /** Keeps the letters held, in one call, and settles their messages. */
  async flush(): Promise<void> {
    const groups = this.groups;
    this.groups = [];
    this.bytes = 0;
    if (groups.length === 0) return;
    const kept = await keepDeadLetters(
      this.env,
      groups.flatMap((g) => g.letters),
    );
    let at = 0;
    const settled = groups.map(({ letters, afterKept }) => {
      const all = kept.slice(at, at + letters.length).every(Boolean);
      at += letters.length;
      if (!all) return false;
      return afterKept ? afterKept().catch(() => false) : true;
    });
    const decided = await Promise.all(settled);
    groups.forEach(({ msg }, i) => {
      if (decided[i]) msg.ack();
      else msg.retry({ delaySeconds: this.delay(msg.attempts) });
    });
  }
}

/** Keeps `groups`' dead letters (DeadLetterCalls: one call for the batch, but the largest) and settles each message. */
export async function keepForMessages(
  env: Env,
  groups: readonly MessageLetters[],
  delay?: (attempts: number) => number,
): Promise<void> {
  const calls = new DeadLetterCalls(env, delay);
  for (const group of groups) await calls.add(group);
  await calls.flush();
}
