/**
 * @module worker/openapi
 * The OpenAPI 3.1 document, built from the same zod schemas that validate
 * requests — so the document cannot describe a body the API would refuse. The operations themselves are listed in
 * worker/openapi-ops (jobs) and its siblings (feeds, fleet, intake, dead letters, policy, budget, breakers, metrics,
 * lessons, alerts, routing); what they answer (each success status, and the body schemas of shared/api-responses
 * and the other shared/api-* modules) is rendered by worker/openapi-schemas; query and path parameters, from the validators the
 * routes read them with, by worker/openapi-params (a route with none takes none: worker/validate-params `noQuery`
 * refuses any). Every operation names who may call it (`x-role`, one of the document's `components["x-roles"]`), has
 * a stable camelCase `operationId` a generated client names its method by, and a one-line `summary` (≤ 80
 * characters) with the rest in `description`.
 */
import { z } from "zod";
import { ERROR_CODES } from "../core/errors.ts";
import { BODY_CHARSET_TEXT } from "./body-charset.ts";
import { bearerText, headerLimitsText } from "./openapi-header-text.ts";
import { JOB_OPS, META_OPS, type Op, RUN_OPS } from "./openapi-ops.ts";
import { ALERTS_OPS } from "./openapi-ops-alerts.ts";
import { BREAKER_OPS } from "./openapi-ops-breakers.ts";
import { BUDGET_OPS } from "./openapi-ops-budget.ts";
import { DEAD_LETTER_OPS } from "./openapi-ops-dead-letters.ts";
import { FEED_OPS } from "./openapi-ops-events.ts";
import { ARTIFACT_OPS, HISTORY_OPS } from "./openapi-ops-feeds.ts";
import { AGENT_OPS, FACTORY_OPS, TOKEN_OPS } from "./openapi-ops-fleet.ts";
import { INTAKE_OPS } from "./openapi-ops-intake.ts";
import { LESSON_OPS } from "./openapi-ops-lessons.ts";
import { METRICS_OPS } from "./openapi-ops-metrics.ts";
import { COMPOSITE_OPS, GATE_OPS, SETTINGS_OPS } from "./openapi-ops-policy.ts";
import { ROUTING_OPS } from "./openapi-ops-routing.ts";
import { pathParameters, queryParameters, ROLES } from "./openapi-params.ts";
import { responseComponents, successResponses } from "./openapi-schemas.ts";
import { BEARER_CHALLENGE } from "./problem.ts";
import { MAX_JSON_BYTES } from "./validate.ts";

/** In the document's order: a path is listed where its first operation is (changing it reorders the document). */
export const OPS: Op[] = [
  ...META_OPS,
  ...JOB_OPS,
  ...COMPOSITE_OPS,
  ...RUN_OPS,
  ...FACTORY_OPS,
  ...TOKEN_OPS,
  ...INTAKE_OPS,
  ...DEAD_LETTER_OPS,
  ...FEED_OPS,
  ...ARTIFACT_OPS,
  ...AGENT_OPS,
  ...SETTINGS_OPS,
  ...HISTORY_OPS,
  ...GATE_OPS,
  ...BUDGET_OPS,
  ...BREAKER_OPS,
  ...METRICS_OPS,
  ...LESSON_OPS,
  ...ALERTS_OPS,
  ...ROUTING_OPS,
];

/** The codes a problem may carry under `range` (`4` or `5`): core/errors ERROR_CODES, plus worker/problem's `internal`. */
function problemCodes(range: 4 | 5): string[] {
  const codes = Object.entries(ERROR_CODES).filter(([, status]) => Math.floor(status / 100) === range);
  return [...codes.map(([code]) => code), ...(range === 5 ? ["internal"] : [])];
}

/**
 * An error answer (RFC 9457 problem+json, worker/problem) with the codes it may carry in that status range. Both
 * ranges are declared on every operation: a 503 `unavailable` (a queue, R2 or D1 refused the work; resend) is named
 * by five operations' own summaries, and any operation answers 500 `internal` on a bug — a document that declared
 * only `4XX` left a generated client with no shape for either.
 */
function problem(range: 4 | 5): Record<string, unknown> {
  const description =
    range === 4
      ? "Refused (RFC 9457 problem): `code` says why — 400 `validation_failed` also for a request header over its " +
        "limit in bytes of UTF-8 (`info.description` lists them)"
      : "Failed (RFC 9457 problem): 503 `unavailable` — a dependency refused the work or the product's coordinator " +
        "was overloaded or unreachable; `detail` says whether anything may have been kept, `Retry-After` (and " +
        "`retryAfterSeconds`) how many seconds to wait; send it again — 500 `internal` — a bug on our side, logged";
  const properties = {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string", enum: problemCodes(range) },
  };
  const schema = { type: "object", required: ["type", "title", "status", "detail", "code"], properties };
  const said: Record<string, string> = {
    ...(range === 4
      ? { "www-authenticate": `On a 401: the challenge \`${BEARER_CHALLENGE}\` (RFC 9110 §15.5.2)` }
      : {}),
    "retry-after": `${range === 4 ? "On a 429 that says when" : "On a 503, always"}: seconds to wait (RFC 9110 §10.2.3)`,
  };
  return {
    description,
    headers: Object.fromEntries(
      Object.entries(said).map(([h, d]) => [h, { description: d, schema: { type: "string" } }]),
    ),
    content: { "application/problem+json": { schema } },
  };
}

/** A zod check as much of it as is read here: a refinement (`custom`) and the error it reports. */
type Check = { _zod: { def: { check?: string; error?: (issue: unknown) => unknown } } };

/**
 * The rules of `schema`'s refinements (`.refine`), in their own words: JSON Schema cannot state them, so without
 * this the document took bodies the route refuses — `PATCH …/lessons/{id}` with `{}`, an experiment arm's weights
 * with `starvation`, a report to testing whose result is a failure. An error computed from the input is left out.
 */
function refinementRules(schema: z.ZodType): string[] {
  const checks = ((schema as unknown as { _zod: { def: { checks?: Check[] } } })._zod.def.checks ?? []) as Check[];
  const rules: string[] = [];
  for (const c of checks) {
    if (c._zod.def.check !== "custom") continue;
    try {
      const said = c._zod.def.error?.({ code: "custom", input: undefined, path: [] });
      const text = typeof said === "string" ? said : (said as { message?: unknown } | undefined)?.message;
      if (typeof text === "string" && text !== "") rules.push(text);
    } catch {
      // An error message built from the input it refused: nothing to say without one.
    }
  }
  return rules;
}

/** Each refinement's rule joins its node's description (unless the description says it already). */
function describeRefinements(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const own = typeof ctx.jsonSchema.description === "string" ? ctx.jsonSchema.description : "";
  const rules = refinementRules(ctx.zodSchema as z.ZodType).filter((r) => !own.includes(r));
  if (rules.length > 0) ctx.jsonSchema.description = [own.replace(/\.$/, ""), ...rules].filter((t) => t).join("; ");
}

function jsonSchema(s: z.ZodType): unknown {
  const { $schema: _, ...schema } = z.toJSONSchema(s, {
    io: "input",
    unrepresentable: "any",
    override: describeRefinements,
  });
  return schema;
}

/**
 * The request body: JSON per `body`, and/or the raw media types the route also reads, each with the byte limit the
 * route reads it within (`x-max-bytes`, UTF-8; a larger body is refused 413 payload_too_large before it is parsed).
 */
function requestBody(op: Op): Record<string, unknown> | undefined {
  if (!op.body && !op.rawBody) return undefined;
  const content: Record<string, unknown> = {};
  const limits: string[] = [];
  if (op.body) {
    const max = op.maxBodyBytes ?? MAX_JSON_BYTES;
    content["application/json"] = { schema: jsonSchema(op.body), "x-max-bytes": max };
    limits.push(`${max} bytes as JSON`);
  }
  const raw = op.rawBody;
  for (const type of raw?.types ?? []) {
    const schema = { type: "string", description: raw!.description, ...(raw!.binary ? { format: "binary" } : {}) };
    content[type] = { schema, "x-max-bytes": raw!.maxBytes };
  }
  if (raw) limits.push(`${raw.maxBytes} bytes as ${raw.types.join(" or ")}`);
  const description = `At most ${limits.join(", ")}: a larger body is refused 413 payload_too_large`;
  // OpenAPI's default is optional: a JSON body's route refuses none unless it reads an empty one as {}.
  return { description, ...(op.body ? { required: !op.bodyOptional } : {}), content };
}

function buildDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPS) {
    const params = pathParameters(op.path);
    const queryParams = queryParameters(op.query);
    const headerParams = (op.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      required: h.required ?? false,
      description: h.description,
      schema: jsonSchema(h.schema),
    }));
    const body = requestBody(op);
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.role === "none" ? { security: [] } : {}),
      "x-role": op.role,
      parameters: [...params, ...queryParams, ...headerParams],
      ...(body ? { requestBody: body } : {}),
      responses: { ...successResponses(op.ok), "4XX": problem(4), "5XX": problem(5) },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Gigafactory API", version: "1.0.0", description: `${headerLimitsText()} ${BODY_CHARSET_TEXT}` },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: bearerText() } },
      schemas: responseComponents(),
      // What each operation's `x-role` means (an extension field: OpenAPI has no notion of roles).
      "x-roles": ROLES,
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/**
 * The document and its JSON text, built once per isolate: they depend on constants alone, and building them (zod's
 * JSON Schema of every operation and answer) cost ~20 ms of CPU — on an unauthenticated GET, each time, which alone is
 * twice a Workers Free request's CPU limit. Frozen, so no reader can change what later requests are served.
 */
let built: { doc: Record<string, unknown>; json: string } | undefined;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function builtOnce(): { doc: Record<string, unknown>; json: string } {
  if (!built) {
    const doc = deepFreeze(buildDocument());
    built = { doc, json: JSON.stringify(doc) };
  }
  return built;
}

/** The OpenAPI document (frozen; the same object on every call). */
export function openApiDocument(): Record<string, unknown> {
  return builtOnce().doc;
}

/** The document as the JSON text `GET /api/v1/openapi.json` answers. */
export function openApiJson(): string {
  return builtOnce().json;
}
