#!/usr/bin/env node
// The operator CLI. Its TypeScript source runs directly on Node ≥ 22.18 (type
// stripping); `npx`/`npm exec` in this repo put the pinned Node 22 first on PATH.
import { ensureNode } from "./node-check.mjs";

ensureNode("gigafactory");
await import("../src/cli/main.ts");
