/**
 * `npm run lint` keeps dead code out: knip (knip.json) fails on an export
 * nothing imports and on a file nothing reaches. Checked on a copy of the
 * project's sources with one of each added, so the working tree is never
 * touched; the real tree is clean (the lint step of CI runs knip on it).
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/relay-process.ts";

const run = promisify(execFile);

async function knip(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, "node_modules", ".bin", "knip"), ["--no-progress"], { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("dead code", () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), "wan-relay-knip-"));
    for (const entry of ["src", "scripts", "bench", "test", "knip.json", "package.json", "tsconfig.json"]) {
      cpSync(join(REPO_ROOT, entry), join(copy, entry), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"));
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("fails the lint on an export nothing imports and on a file nothing reaches", async () => {
    const backoff = join(copy, "src", "lib", "backoff.ts");
    writeFileSync(backoff, `${readFileSync(backoff, "utf8")}\nexport const NOBODY_READS_THIS = 1;\n`);
    writeFileSync(join(copy, "src", "lib", "orphan.ts"), "export const orphan = 1;\n");
    const { code, output } = await knip(copy);
    expect(code).not.toBe(0);
    expect(output).toContain("src/lib/orphan.ts");
    expect(output).toContain("NOBODY_READS_THIS");
  }, 120_000);
});
