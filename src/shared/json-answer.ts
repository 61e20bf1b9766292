/**
 * @module shared/json-answer
 * A 2xx answer the REST client read whole (shared/http-client-base `send`), whose `json()` says what came when it is
 * not JSON: a captive portal's or another service's page was V8's quote of its first characters (`Unexpected token
 * '<', "<html><ti"... is not valid JSON`) wherever a command or the agent read an answer with `res.json()` — ten
 * places, each its own. One class, so every reader of an answer, and any added later, says it the same way.
 */
import { foreignAnswerText } from "./foreign-answer.ts";
import { BadAnswerError } from "./http-transport.ts";
import { hideKnown } from "./redact-known.ts";

/** A Response whose `json()` throws BadAnswerError naming what came (shared/foreign-answer) instead of V8's words. */
export class JsonAnswer extends Response {
  readonly #url: string;
  readonly #known: readonly string[];

  /** `known`: the secrets the request sent (its token), hidden before the page's markup is taken out. */
  constructor(body: Uint8Array | null, init: ResponseInit, url: string, known: readonly string[]) {
    super(body, init);
    this.#url = url;
    this.#known = known;
  }

  /** The body as JSON. @throws BadAnswerError when it is not JSON (an empty body included) */
  override async json<T = unknown>(): Promise<T> {
    return (await this.parse(false)) as T;
  }

  /** The body as JSON, null when it is empty (a write's 204). @throws BadAnswerError when it is not JSON */
  async jsonOrNull<T>(): Promise<T | null> {
    return (await this.parse(true)) as T | null;
  }

  private async parse(emptyIsNull: boolean): Promise<unknown> {
    const bytes = new Uint8Array(await this.arrayBuffer());
    if (emptyIsNull && bytes.length === 0) return null;
    const text = new TextDecoder().decode(bytes);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const seen = { status: this.status, statusText: this.statusText, contentType: this.headers.get("content-type") };
      const shown = foreignAnswerText({ ...seen, text: hideKnown(text, this.#known), bytes: bytes.length });
      throw new BadAnswerError(this.#url, `it is not JSON: ${shown}`);
    }
  }
}
