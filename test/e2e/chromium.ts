// Debian's headless Chromium for the dashboard tests, launched one way everywhere: twelve test files each spelt the
// executable path and flags out, in two variants. `--no-sandbox` because CI runs as root in a container; the rest
// keep the browser from reaching beyond loopback (updates, sync, QUIC probes) while a test runs.
import { type Browser, chromium } from "playwright-core";

/** The Debian package's binary (apt-get install chromium), as the README's test set-up installs it. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** A headless Chromium; the caller closes it (`browser.close()` in its afterAll). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}
