// What the engine-output tests share: a line fed to the usage meter as the engine runner hands it over.
import type { UsageMeter } from "../../src/agent/insights.ts";
import { LineSplitter } from "../../src/agent/log-batcher.ts";

/** `line` as the engine runner hands it to the meter: through a LineSplitter, in 64 KiB chunks; the budget breach. */
export function feedThroughSplitter(meter: UsageMeter, line: string): string | undefined {
  const splitter = new LineSplitter();
  const text = `${line}\n`;
  let breach: string | undefined;
  const fed = (pieces: string[]) => {
    for (const p of pieces) breach = meter.line(p) ?? breach;
  };
  for (let i = 0; i < text.length; i += 65_536) fed(splitter.push(text.slice(i, i + 65_536)));
  fed(splitter.end());
  return breach;
}

/** A Claude assistant/result usage block: 100 in, 50 cache-creation, 25 cache-read, 10 out. */
export const usage = {
  input_tokens: 100,
  cache_creation_input_tokens: 50,
  cache_read_input_tokens: 25,
  output_tokens: 10,
};
