/**
 * @module shared/plain-text
 * The control-character rule of a request's names and free text, for the shared request schemas (shared/api*,
 * protocol frames) and the CLI (cli/plain-input). The rule itself is core/plain-text: the manifest (core, which
 * imports nothing from shared) holds to it as well, so it lives there, once.
 */
export { NAME_CONTROL, plainName, plainText, TEXT_CONTROL } from "../core/plain-text.ts";
