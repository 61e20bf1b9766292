/**
 * @module dashboard/serial-key
 * A serial key as the board's serial-gates panel (dashboard/serial) sends it: what the key box refuses before sending
 * (core/serial-gates' rule, mirrored), which key the Freeze button sends for what the box holds, and the gate's path.
 */

/**
 * Besides its byte limit, a serial key has no control characters and is not `.` or `..`: a browser resolves dot
 * segments, so a freeze of `..` reached `/freeze`, a 404 "no route". core/serial-gates' KEY_PATTERN, mirrored (no
 * src import here); test/unit/dashboard-serial.test.ts proves they agree.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const KEY_PATTERN = /^(?!\.\.?$)[^\u0000-\u001f\u007f-\u009f]*$/;

/** Why `key` (as sent) cannot be a serial key, in the server's words, else null. @param {string} key */
export function serialKeyRefusal(key) {
  return KEY_PATTERN.test(key)
    ? null
    : "a serial key has no control characters and is not . or .. (no URL path can name those)";
}

/** The gate's path for `key`, URL-encoded whole. @param {string} key */
export const serialPath = (key) => `/serial/${encodeURIComponent(key)}`;

/**
 * The key the Freeze button sends for what the key box holds: exactly a key the panel lists (its "Freeze…" fills
 * the box with it), else the box trimmed of a stray space. A key is exact to the byte and may start or end with a
 * space or a BOM (the server trims none): trimmed, a listed " deploy" was sent as "deploy" — another key — and the
 * board said "deploy is frozen" while the listed key's jobs went on being dispatched.
 * @param {string} typed the key box's value
 * @param {ReadonlySet<string>} listed the keys the panel shows
 */
export function keyToFreeze(typed, listed) {
  return listed.has(typed) ? typed : typed.trim();
}
