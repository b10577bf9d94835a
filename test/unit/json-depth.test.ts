import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, tooDeepField } from "../../src/lib/http.ts";

/** `levels` nested objects, each under key `a`: `{"a":{"a":{}}}` is 3. */
const objects = (levels: number): string => '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1);
const arrays = (levels: number): string => "[".repeat(levels) + "]".repeat(levels);

describe("tooDeepField", () => {
  it("counts the body as level 1 and lets MAX_JSON_DEPTH levels through", () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(tooDeepField(objects(64), 64)).toBeNull();
    expect(tooDeepField(`{"metadata":${objects(63)}}`, 64)).toBeNull();
    expect(tooDeepField(`{"metadata":${arrays(63)}}`, 64)).toBeNull();
  });

  it("names the top-level field that holds the part one level too deep", () => {
    expect(tooDeepField(`{"prompt":"x","metadata":${objects(64)}}`, 64)).toBe("metadata");
    expect(tooDeepField(`{"metadata":${arrays(64)},"prompt":"x"}`, 64)).toBe("metadata");
  });

  it("names the outermost field however deep the text goes", () => {
    const deep = `{"prompt": "x", "metadata": {"note": ${objects(10_000)}}}`;
    expect(tooDeepField(deep, 64)).toBe("metadata");
    expect(tooDeepField(`{"image_list": ${arrays(10_000)}}`, 64)).toBe("image_list");
  });

  it("resolves escapes in the field's name", () => {
    expect(tooDeepField(`{"meta\\u0064ata":${objects(64)}}`, 64)).toBe("metadata");
    expect(tooDeepField(`{"a\\"b":${objects(64)}}`, 64)).toBe('a"b');
  });

  it("answers (body) for a top-level array or a body nested with no field", () => {
    expect(tooDeepField(arrays(65), 64)).toBe("(body)");
    expect(tooDeepField("[".repeat(10_000), 64)).toBe("(body)");
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    const brackets = "{[".repeat(5_000);
    expect(tooDeepField(JSON.stringify({ prompt: brackets, metadata: { a: 'say \\"{{{{' } }), 64)).toBeNull();
    expect(tooDeepField(JSON.stringify({ key: "\\" }) + "[".repeat(100), 64)).toBe("(body)");
  });

  it("leaves malformed text to the parser", () => {
    expect(tooDeepField('{"a": "unterminated', 64)).toBeNull();
    expect(tooDeepField("", 64)).toBeNull();
    expect(tooDeepField("}}}]]]", 64)).toBeNull();
  });
});
