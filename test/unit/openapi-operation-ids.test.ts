// Every operation of the OpenAPI document has a stable name a generated client calls its method by: an
// `operationId`, camelCase, unique in the document (without one, generators named methods from paths, e.g.
// `apiV1ProductsProductIdJobsJobIdActionsActionPost`). The whole list is pinned here, so a rename — which breaks
// every client generated before it — is a visible change to this file. And every summary is one short line (at most
// 80 characters, no sentence after the first): what a client's method list and a docs index show; the rest of an
// operation's text is its `description`.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/worker/openapi.ts";

type Operation = { operationId?: string; summary?: string; description?: string };
const paths = (openApiDocument() as { paths: Record<string, Record<string, Operation>> }).paths;
const operations = Object.entries(paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${path}`, op })),
);
const P = "/api/v1/products/{productId}";

/** Every operation's id, in the document's order: a rename or a new operation changes this list. */
const OPERATION_IDS: Record<string, string> = {
  "GET /api/v1/health": "getCoordinatorHealth",
  "GET /api/v1/openapi.json": "getOpenApiDocument",
  "POST /api/v1/products": "createProduct",
  "GET /api/v1/products": "listProducts",
  [`GET ${P}/whoami`]: "whoami",
  [`POST ${P}/jobs`]: "submitJob",
  [`GET ${P}/jobs`]: "listJobs",
  [`GET ${P}/jobs/{jobId}`]: "getJob",
  [`PATCH ${P}/jobs/{jobId}`]: "reportJobUpdate",
  [`GET ${P}/jobs/{jobId}/explain`]: "explainJob",
  [`GET ${P}/jobs/{jobId}/runs`]: "listJobRuns",
  [`POST ${P}/jobs/{jobId}/children`]: "addJobChildren",
  [`GET ${P}/jobs/{jobId}/tree`]: "getJobTree",
  [`POST ${P}/jobs/{jobId}/actions/{action}`]: "applyJobAction",
  [`POST ${P}/claim`]: "claimJob",
  [`POST ${P}/jobs/{jobId}/lease/renew`]: "renewLease",
  [`POST ${P}/jobs/{jobId}/lease/release`]: "releaseLease",
  [`POST ${P}/factories/enroll`]: "enrollFactory",
  [`POST ${P}/factories/heartbeat`]: "sendHeartbeat",
  [`GET ${P}/factories`]: "listFactories",
  [`GET ${P}/factories/{factoryId}`]: "getFactory",
  [`DELETE ${P}/factories/{factoryId}`]: "deregisterFactory",
  [`POST ${P}/factories/{factoryId}/status`]: "setFactoryStatus",
  [`POST ${P}/factories/{factoryId}/capabilities/approve`]: "approveFactoryCapabilities",
  [`POST ${P}/factories/{factoryId}/token/rotate`]: "rotateFactoryToken",
  [`POST ${P}/factories/{factoryId}/token/revoke`]: "revokeFactoryToken",
  [`POST ${P}/tokens`]: "mintToken",
  [`GET ${P}/tokens`]: "listTokens",
  [`DELETE ${P}/tokens/{tokenId}`]: "revokeToken",
  [`POST ${P}/jobs:batch`]: "submitJobBatch",
  [`GET ${P}/batches/{batchId}`]: "getBatch",
  [`POST ${P}/tracker/ingest`]: "ingestTrackerItem",
  [`GET ${P}/dead-letters`]: "listDeadLetters",
  [`GET ${P}/dead-letters/{deadLetterId}`]: "getDeadLetter",
  [`POST ${P}/dead-letters/{deadLetterId}/redrive`]: "redriveDeadLetter",
  [`GET ${P}/jobs/{jobId}/events`]: "listJobEvents",
  [`GET ${P}/jobs/{jobId}/events/ws`]: "openJobEventSocket",
  [`GET ${P}/jobs/{jobId}/events/stream`]: "streamJobEvents",
  [`POST ${P}/jobs/{jobId}/events/ticket`]: "createFeedTicket",
  [`POST ${P}/jobs/{jobId}/artifacts`]: "uploadArtifact",
  [`GET ${P}/jobs/{jobId}/artifacts`]: "listArtifacts",
  [`GET ${P}/jobs/{jobId}/artifacts/{name}`]: "downloadArtifact",
  [`DELETE ${P}/jobs/{jobId}/artifacts/{name}`]: "deleteArtifact",
  [`GET ${P}/factories/connect`]: "connectFactory",
  [`POST ${P}/factories/enrollment-codes`]: "createEnrollmentCode",
  [`GET ${P}/factories/enrollment-codes`]: "listEnrollmentCodes",
  [`DELETE ${P}/factories/enrollment-codes/{codeId}`]: "revokeEnrollmentCode",
  [`GET ${P}/queue-state`]: "getQueueState",
  [`GET ${P}/settings`]: "getSettings",
  [`PATCH ${P}/settings`]: "updateSettings",
  [`GET ${P}/history`]: "listHistory",
  [`GET ${P}/serial`]: "listSerialKeys",
  [`POST ${P}/serial/{key}/freeze`]: "freezeSerialKey",
  [`POST ${P}/serial/{key}/unfreeze`]: "unfreezeSerialKey",
  [`POST ${P}/jobs/{jobId}/reviews`]: "reviewJob",
  [`GET ${P}/jobs/{jobId}/reviews`]: "getReviewGate",
  [`GET ${P}/budget`]: "getBudget",
  [`PUT ${P}/budget`]: "setBudget",
  [`POST ${P}/budget/pause`]: "pauseBudget",
  [`POST ${P}/budget/resume`]: "resumeBudget",
  [`GET ${P}/breakers`]: "listBreakers",
  [`POST ${P}/factories/{factoryId}/release`]: "releaseFactory",
  [`POST ${P}/factories/{factoryId}/breakers/{engine}/reset`]: "resetBreaker",
  [`GET ${P}/metrics`]: "getMetrics",
  [`GET ${P}/stats`]: "getStats",
  [`GET ${P}/lessons`]: "listLessons",
  [`POST ${P}/lessons`]: "addLesson",
  [`PATCH ${P}/lessons/{lessonId}`]: "updateLesson",
  [`GET ${P}/alerts`]: "listAlerts",
  [`POST ${P}/alerts/{alertId}/ack`]: "acknowledgeAlert",
  [`GET ${P}/health`]: "getProductHealth",
  [`PUT ${P}/webhook`]: "setWebhook",
  [`GET ${P}/webhook`]: "getWebhook",
  [`DELETE ${P}/webhook`]: "deleteWebhook",
  [`GET ${P}/routing/track-records`]: "listTrackRecords",
  [`GET ${P}/routing/recommendations`]: "listRoutingRecommendations",
  [`GET ${P}/routing/rules`]: "listRoutingRules",
  [`POST ${P}/routing/rules`]: "addRoutingRule",
  [`DELETE ${P}/routing/rules/{ruleId}`]: "removeRoutingRule",
  [`POST ${P}/routing/rebuild`]: "rebuildTrackRecords",
  [`GET ${P}/routing/experiments`]: "listExperiments",
  [`POST ${P}/routing/experiments`]: "startExperiment",
  [`GET ${P}/routing/experiments/{experimentId}`]: "getExperiment",
  [`POST ${P}/routing/experiments/{experimentId}/stop`]: "stopExperiment",
};

/** The faults of a list of operation ids: a missing one, one not camelCase, one used twice. */
function operationIdFaults(ops: Array<{ where: string; op: Operation }>): string[] {
  const faults: string[] = [];
  const seen = new Map<string, string>();
  for (const { where, op } of ops) {
    const id = op.operationId;
    if (typeof id !== "string" || id === "") {
      faults.push(`${where}: no operationId`);
      continue;
    }
    if (!/^[a-z][a-zA-Z0-9]*$/.test(id)) faults.push(`${where}: operationId ${id} is not camelCase`);
    const first = seen.get(id);
    if (first) faults.push(`${where}: operationId ${id} is ${first}'s already`);
    else seen.set(id, where);
  }
  return faults;
}

describe("operation ids", () => {
  it("every operation has one, camelCase, used by no other operation", () => {
    expect(operations.length).toBeGreaterThan(80);
    expect(operationIdFaults(operations)).toEqual([]);
  });

  it("finds a missing id, a duplicate and one not camelCase", () => {
    const ops = [
      { where: "GET /a", op: { operationId: "getA" } },
      { where: "GET /b", op: {} },
      { where: "GET /c", op: { operationId: "getA" } },
      { where: "GET /d", op: { operationId: "get_d" } },
    ];
    expect(operationIdFaults(ops)).toEqual([
      "GET /b: no operationId",
      "GET /c: operationId getA is GET /a's already",
      "GET /d: operationId get_d is not camelCase",
    ]);
  });

  it("are the pinned list: a rename or a new operation is a change to this file", () => {
    const actual = Object.fromEntries(operations.map(({ where, op }) => [where, op.operationId]));
    expect(actual).toEqual(OPERATION_IDS);
  });
});

describe("summaries", () => {
  it("every summary is one short sentence of at most 80 characters; the rest is the description", () => {
    const faults: string[] = [];
    for (const { where, op } of operations) {
      const summary = op.summary ?? "";
      if (summary === "") faults.push(`${where}: no summary`);
      if ([...summary].length > 80) faults.push(`${where}: a summary of ${[...summary].length} characters`);
      // A second sentence belongs in the description ("… first. Then …").
      if (/\.\s+\S/.test(summary)) faults.push(`${where}: more than one sentence: ${summary}`);
    }
    expect(faults).toEqual([]);
  });
});
