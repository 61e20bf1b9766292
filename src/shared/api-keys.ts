/**
 * @module shared/api-keys
 * The `Idempotency-Key` request header's shape: at most its limit in bytes of UTF-8, not blanks only (core/plain-text
 * `notBlank`, as the manifest's key), no control character (the manifest's `idempotencyKey` rule, core/plain-text `plainName`), and no ", ". A header
 * value may hold a tab and obs-text bytes (RFC 9110 §5.5: 0x80–0xFF, C1 among them): the key was taken with them,
 * stored and echoed in answers and errors as the JSON key no longer could be — and `jobs:batch` and `…/children`
 * make each item's key from it (`batch:<key>:<hash>.<n>`, `children:<parent>:<key>:<i>`) after the manifest's own rule
 * has run, so this is where their rule is checked too. Two `Idempotency-Key` headers reach the Worker joined into
 * one value, "a, b" (Fetch `Headers.get`, as every proxy joins a repeated field): read as one key, a request sent
 * with two keys made a job under a third, "a, b", which neither key answers again. A key holding ", " is refused (400 validation_failed naming the header), so a
 * repeated header is never taken for a key. The pattern is in the OpenAPI document, where clients read the shape.
 */
import { z } from "zod";
import { utf8Text } from "../core/bytes.ts";
import { IDEMPOTENCY_KEY_MAX_BYTES } from "../core/manifest-schema.ts";
import { notBlank, plainName } from "../core/plain-text.ts";

/** No ", " anywhere (a header value holds no line break, so `.` covers it): the joined form of two headers. */
const NOT_JOINED = /^(?!.*, )/;
const JOINED_MESSAGE = 'one key, without ", ": two Idempotency-Key headers reach the server joined as "a, b"';

/** The key's shape as the OpenAPI document says it, beside its byte limit. */
export const ONE_KEY =
  'one key, without ", " (two Idempotency-Key headers arrive joined as "a, b": 400) and without control ' +
  "characters (U+0000–U+001F, a tab among them, and U+007F–U+009F: 400), nor blanks only (400)";

/** A key of at most `maxBytes` bytes of UTF-8 that is not two joined ones and holds no control character. */
const keyHeader = (maxBytes: number) =>
  notBlank(plainName(utf8Text(maxBytes, z.string().min(1).regex(NOT_JOINED, JOINED_MESSAGE))));

/**
 * The `Idempotency-Key` of a request that makes several jobs (`jobs:batch`, `…/children`), each keyed
 * `<prefix>:<key>:<index>`: 128 bytes of UTF-8 (the Worker reads a header's bytes as UTF-8, as its tests send
 * them), so a derived key stays within a manifest key's 800 bytes.
 */
export const DerivedKeyHeader = keyHeader(128);
/** The `Idempotency-Key` of `POST …/jobs`: the manifest's `idempotencyKey` by another name, so its limit too. */
export const IdempotencyKeyHeader = keyHeader(IDEMPOTENCY_KEY_MAX_BYTES);
