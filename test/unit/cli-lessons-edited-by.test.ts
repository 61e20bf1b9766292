// `gigafactory lessons` marks an automatic lesson an operator took over: `lessons list` prints its SOURCE as
// `auto · edited by <actor>` (an automatic lesson nobody reworded stays `auto`, an operator's own `operator`), `lessons
// edit|archive` say it in their one line, and --json hands on the API's `editedBy` as it came; a marker that is not
// a string is an answer of another shape (bad_response), as any other field of the wrong type.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const base = { capabilities: [], count: 2, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000 };
const TAKEN = {
  ...base,
  id: "les_0000000001abc",
  text: "Pin the toolchain",
  source: "auto",
  trigger: "retry_exhausted",
  subject: "job:job_1",
  createdBy: "system",
  editedBy: "operator:erin",
};
const AUTO = { ...base, id: "les_0000000002abc", text: "Job j2 dead-lettered", source: "auto", createdBy: "system" };
const OWN = {
  ...base,
  id: "les_0000000003abc",
  text: "Run npm ci first",
  source: "operator",
  createdBy: "operator:al",
};

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "p")]);

describe("gigafactory lessons: an automatic lesson an operator edited", () => {
  it("lists it as `auto · edited by <actor>`, and --json carries editedBy", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { items: [TAKEN, AUTO, OWN] }));
    const table = await cli(url, "lessons", "list");
    expect(table.code).toBe(0);
    const line = (id: string) => table.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
    expect(line(TAKEN.id)).toMatch(/^les_0000000001abc\s+auto · edited by operator:erin\s+every job/);
    expect(line(AUTO.id)).toMatch(/^les_0000000002abc\s+auto\s+every job/);
    expect(line(OWN.id)).toMatch(/^les_0000000003abc\s+operator\s+every job/);
    const json = await cli(url, "lessons", "list", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ items: [TAKEN, AUTO, OWN] });
  });

  it("says so after an edit or an archive", async () => {
    const { url } = await stubCoordinator((req, reply) =>
      reply.json(200, { ...TAKEN, ...(req.body as object), changed: true }),
    );
    const edited = await cli(url, "lessons", "edit", TAKEN.id, "--text", "Pin it");
    expect(edited.stdout).toContain("✔ edited — les_0000000001abc (auto · edited by operator:erin, every job): Pin it");
    const archived = await cli(url, "lessons", "archive", TAKEN.id);
    expect(archived.stdout).toContain(
      "✔ archived — les_0000000001abc (auto · edited by operator:erin, every job, archived)",
    );
  });

  it("refuses a marker that is not a string as bad_response (another service's answer), printing no table", async () => {
    const { url } = await stubCoordinator((_req, reply) => reply.json(200, { items: [{ ...TAKEN, editedBy: 5 }] }));
    const out = await cli(url, "lessons", "list");
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("bad_response");
    expect(out.stdout).toBe("");
  });
});
