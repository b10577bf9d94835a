/**
 * One writer: a generation's state is persisted only by the object shell's
 * `apply()` (src/generation/object.ts), through the store's `commit`. This
 * test reads the source with the TypeScript compiler and fails if any other
 * code commits to the store, builds a store of its own, or writes the
 * generation's tables or its alarm directly.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");
const STORE = "src/generation/store.ts";
const SHELL = "src/generation/object.ts";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

interface Site {
  file: string;
  /** The class and method (or function) the site sits in. */
  within: string;
  text: string;
}

function enclosing(node: ts.Node): string {
  const names: string[] = [];
  for (let at: ts.Node | undefined = node.parent; at !== undefined; at = at.parent) {
    if ((ts.isMethodDeclaration(at) || ts.isFunctionDeclaration(at) || ts.isClassDeclaration(at)) && at.name) {
      names.unshift(at.name.getText());
    }
  }
  return names.join(".");
}

let program: ts.Program;
let checker: ts.TypeChecker;
const files = sourceFiles(SRC);

beforeAll(() => {
  const config = ts.readConfigFile(join(ROOT, "tsconfig.json"), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  checker = program.getTypeChecker();
});

/** Calls of a method declared in `declaredIn` by `name`, anywhere in src/. */
function callsOf(declaredIn: string, name: string): Site[] {
  const sites: Site[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (source === undefined) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        if (node.expression.name.text === name) {
          const symbol = checker.getSymbolAtLocation(node.expression.name);
          const declaration = symbol?.declarations?.[0];
          const where = declaration ? relative(ROOT, declaration.getSourceFile().fileName) : "";
          if (where === declaredIn) {
            sites.push({ file: relative(ROOT, file), within: enclosing(node), text: node.getText(source) });
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return sites;
}

describe("one writer of a generation's state", () => {
  it("commits to the store from the object shell's apply() only", () => {
    const commits = callsOf(STORE, "commit");
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.map((site) => `${site.file} ${site.within}`)).toEqual(
      commits.map(() => `${SHELL} GenerationObject.apply`),
    );
  });

  it("builds the store in the object shell only", () => {
    const built = files.filter((file) => /new GenerationStore\(/.test(readFileSync(file, "utf8")));
    expect(built.map((file) => relative(ROOT, file))).toEqual([SHELL]);
  });

  it("writes the generation's tables in the store only", () => {
    const writes = /\b(INSERT|UPDATE|DELETE|REPLACE)\b[^`]*\b(generation|events|snapshots)\b/;
    const writers = files.filter((file) => writes.test(readFileSync(file, "utf8")));
    expect(writers.map((file) => relative(ROOT, file))).toEqual([STORE]);
  });

  it("sets the generation's alarm in the object shell's schedule() only", () => {
    const sites = files.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      return /\bstorage\.setAlarm\(/.test(text) && file.includes(join("src", "generation"))
        ? [relative(ROOT, file)]
        : [];
    });
    expect(sites).toEqual([SHELL]);
    const source = readFileSync(join(ROOT, SHELL), "utf8");
    const scheduleBody = source.slice(source.indexOf("private schedule("));
    expect(source.match(/storage\.setAlarm\(/g)).toHaveLength(1);
    expect(scheduleBody).toMatch(/storage\.setAlarm\(/);
  });
});
