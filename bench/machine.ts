/** The machine the figures were measured on: they mean little without it. */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpus: { model: string; count: number };
  totalMemGb: number;
  node: string;
  os: string;
}

function distro(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    return "";
  }
}

export function machine(): Machine {
  const cpus = os.cpus();
  const d = distro();
  return {
    cpus: { model: cpus[0]?.model.trim() ?? "unknown", count: cpus.length },
    totalMemGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${d ? `${d}, ` : ""}${os.type()} ${os.release()} ${os.arch()}`,
  };
}
