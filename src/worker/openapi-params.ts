/**
 * @module worker/openapi-params
 * The OpenAPI document's query and path parameters, generated from the zod validators the routes read them with
 * (worker/validate `query` and `param`, worker/auth for the product), so the document states each parameter's
 * real type, pattern, bounds, default and whether it is required — not `{type: string}` for everything. Also the
 * roles an operation's `x-role` may name, each described once in the document.
 * test/integration/openapi-validators.test.ts checks each documented parameter against the validator its route
 * actually used, and each validator a route used against the document.
 */
import { z } from "zod";
import { ActionParam, ArtifactName, DeadLetterIdParam, EntityId, ProductId } from "../shared/api.ts";
import { AlertIdParam } from "../shared/api-alerts.ts";
import { LessonIdParam } from "../shared/api-lessons.ts";
import { BreakerEngineParam } from "../shared/api-metrics.ts";
import { SerialKeyParam } from "../shared/api-policies.ts";
import { ExperimentIdParam, RuleIdParam } from "../shared/api-routing.ts";

/**
 * Every path parameter name the routes use, with the validator they read it through. One name, one validator:
 * a route that read `{jobId}` through another schema would be caught by the test above.
 */
export const PATH_PARAMS: Readonly<Record<string, z.ZodType>> = {
  productId: ProductId, // worker/auth productAuth, and the feeds' ticket path
  jobId: EntityId,
  factoryId: EntityId,
  tokenId: EntityId,
  codeId: EntityId,
  batchId: EntityId,
  name: ArtifactName,
  action: ActionParam,
  alertId: AlertIdParam,
  lessonId: LessonIdParam,
  experimentId: ExperimentIdParam,
  key: SerialKeyParam,
  ruleId: RuleIdParam,
  deadLetterId: DeadLetterIdParam,
  engine: BreakerEngineParam,
};

/** Who may call an operation, as its `x-role` says; the document lists them under `components["x-roles"]`. */
export const ROLES = {
  none: "anyone: no token",
  member: "a viewer or above, or any factory of the product",
  viewer: "a viewer, operator or admin token of the product",
  "job-reader": "a viewer or above, or the factory that holds or held the job",
  operator: "an operator or admin token of the product",
  admin: "the admin token",
  factory: "a factory token of the product",
  "lease-holder":
    "the factory token holding the job's current lease (fenced by leaseEpoch: 409 fenced otherwise; 409 " +
    "not_lease_holder, naming nothing of the job, to a factory that never held it)",
  uploader:
    "the factory token holding the job's current lease (naming its leaseEpoch: 409 fenced otherwise), or an " +
    "operator or admin token of the product",
  enrollment: "a one-time enrollment code (gfe_…, used up by the call), or an operator or admin token",
} as const;
export type OpRole = keyof typeof ROLES;

/** A zod schema as the document's JSON Schema, for the input side (defaults make a field optional). */
export function paramSchema(s: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return schema;
}

/**
 * The `{name}` segments of `path` as OpenAPI path parameters, each with its validator's schema.
 * @throws Error naming a parameter that PATH_PARAMS lacks (a route added without its validator here)
 */
export function pathParameters(path: string): Array<Record<string, unknown>> {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => {
    const name = m[1]!;
    const schema = PATH_PARAMS[name];
    if (!schema) throw new Error(`openapi: path parameter {${name}} of ${path} has no validator in PATH_PARAMS`);
    return { name, in: "path", required: true, schema: paramSchema(schema) };
  });
}

/** A route's query validator as OpenAPI query parameters: one per key, required unless optional or defaulted. */
export function queryParameters(query: z.ZodObject | undefined): Array<Record<string, unknown>> {
  if (!query) return [];
  const whole = paramSchema(query);
  const properties = (whole.properties ?? {}) as Record<string, Record<string, unknown>>;
  // The output side keeps what the input side loses: a `queryInt`'s integer bounds (its digits pipe into a number)
  // and defaults. Query values are text on the wire; an integer parameter is how OpenAPI says "digits, in range".
  const { properties: outProps = {} } = z.toJSONSchema(query, { io: "output", unrepresentable: "any" }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  const required = new Set((whole.required ?? []) as string[]);
  return Object.keys(query.shape).map((name) => {
    const input = properties[name] ?? {};
    const output = outProps[name] ?? {};
    const numeric = input.type === "string" && (output.type === "integer" || output.type === "number");
    const schema = numeric
      ? output
      : "default" in output && !("default" in input)
        ? { ...input, default: output.default }
        : input;
    return { name, in: "query", required: required.has(name), schema };
  });
}
