/**
 * The zod the Worker bundles (wrangler.jsonc `alias` → src/lib/zod-without-locales.ts)
 * is zod itself without its locales but English: every name zod exports, the same values.
 */
import { describe, expect, it } from "vitest";
import * as zod from "zod";
import * as bundled from "../../src/lib/zod-without-locales.ts";

describe("zod without its locales", () => {
  it("exports every name zod exports, each the same value but the locales, z and core", () => {
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(zod).sort());
    const own = new Set(["locales", "core", "z", "default"]);
    for (const name of Object.keys(zod).filter((key) => !own.has(key))) {
      expect(bundled[name as keyof typeof bundled], name).toBe(zod[name as keyof typeof zod]);
    }
  });

  it("keeps English in both places zod has locales, and nothing else", () => {
    expect(Object.keys(bundled.locales)).toEqual(["en"]);
    expect(bundled.locales.en).toBe(zod.locales.en);
    expect(bundled.core.locales).toEqual({ en: zod.locales.en });
  });

  it("has a core with every name of zod's, the same values but the locales", () => {
    expect(Object.keys(bundled.core).sort()).toEqual(Object.keys(zod.core).sort());
    for (const name of Object.keys(zod.core).filter((key) => key !== "locales")) {
      expect(bundled.core[name as keyof typeof bundled.core], name).toBe(zod.core[name as keyof typeof zod.core]);
    }
  });

  it("is one namespace as z, with zod's schemas on it", () => {
    expect(bundled.z).toBe(bundled.default);
    expect(bundled.z.object).toBe(zod.z.object);
    expect(bundled.z.object({ a: bundled.z.string() }).safeParse({ a: "x" }).success).toBe(true);
  });
});
