#!/usr/bin/env node
// The factory agent. Its TypeScript source runs directly on Node ≥ 22.18 (type
// stripping); `npx`/`npm exec` in this repo put the pinned Node 22 first on PATH.
import { ensureNode } from "./node-check.mjs";

ensureNode("gigafactory-agent");
await import("../src/agent/main.ts");
