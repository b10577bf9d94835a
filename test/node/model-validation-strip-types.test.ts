/**
 * src/models/validate.ts and the catalogue load under Node's own type
 * stripping (no bundler), so Node-side tools such as the fake upstream and
 * the benches can validate bodies per model with the same code as the Worker.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

it("runs validate.ts with plain `node`", async () => {
  const script = `
    const { checkModelInput } = await import(${JSON.stringify(resolve(ROOT, "src/models/validate.ts"))});
    console.log(JSON.stringify(checkModelInput({ model: "google/veo-3.1-t2v", duration: 5 })));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT });
  expect(JSON.parse(stdout)).toEqual({
    ok: false,
    details: [
      { field: "prompt", rule: "required", message: "prompt is required" },
      { field: "duration", rule: "invalid_value", message: "duration must be one of 4, 6, 8" },
    ],
  });
});
