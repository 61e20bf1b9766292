/**
 * The error codes a program's source throws, read from its syntax tree: every `new CliError("code", what, fix, exit?)`
 * / `new FixableError(…)` with a literal code under the given directories, code → the exits it is thrown with ("1"
 * when none is passed, "2" for EXIT_USAGE, else the exit argument's text). A code built at run time is not seen.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/** code → the set of exits it is thrown with, over every `.ts` file under `dirs`. */
export function thrownCodes(...dirs: string[]): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const visitFile = (file: string): void => {
    const src = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n) && /^(CliError|FixableError)$/.test(n.expression.getText())) {
        const [code, , , exit] = n.arguments ?? [];
        if (code && ts.isStringLiteral(code)) {
          const exits = found.get(code.text) ?? new Set<string>();
          const said = exit?.getText() ?? "1";
          exits.add(said === "EXIT_USAGE" ? "2" : said);
          found.set(code.text, exits);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  };
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const file = join(d, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (file.endsWith(".ts")) visitFile(file);
    }
  };
  for (const dir of dirs) walk(dir);
  return found;
}
