/**
 * The byte scanner that bounds a create body while it streams in
 * (src/routes/create-body.ts): it counts the JSON outside strings that start
 * with `data:`, whatever the chunk boundaries.
 */
import { describe, expect, it } from "vitest";
import { BodyScanner, createBodyCap } from "../../src/routes/create-body.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Feeds `text` in chunks of `size` bytes; returns the scanner and whether it stayed within its limits. */
function scan(text: string, size: number, maxCounted = 1e9, maxTotal = 1e9): { scanner: BodyScanner; ok: boolean } {
  const scanner = new BodyScanner(maxCounted, maxTotal);
  const bytes = encode(text);
  let ok = true;
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    ok = scanner.feed(bytes.subarray(offset, offset + size)) && ok;
  }
  return { scanner, ok };
}

describe("BodyScanner", () => {
  const base64 = "QUJD".repeat(1000);
  const body = `{"prompt": "a cat", "image_url": "data:image/png;base64,${base64}", "seed": 3}`;
  const outside = body.length - base64.length - ';base64,"'.length - "image/png".length;

  it.each([1, 2, 3, 5, 7, 64, 4096, 1 << 20])(
    "leaves out the inside of data: strings, in chunks of %i bytes",
    (size) => {
      const { scanner } = scan(body, size);
      expect(scanner.total).toBe(body.length);
      // Counted: everything but what follows "data:" inside that string (its closing quote included).
      expect(scanner.counted).toBe(outside);
    },
  );

  it("counts every string that does not start with data:", () => {
    const text = `{"prompt": "see data:image/png;base64,${base64}"}`;
    expect(scan(text, 100).scanner.counted).toBe(text.length);
  });

  it("counts a data: string written with escapes (base64 never needs them)", () => {
    const text = `{"image_url": "\\u0064ata:image/png;base64,${base64}"}`;
    expect(scan(text, 100).scanner.counted).toBe(text.length);
  });

  it("is not fooled by an escaped quote before a data: string", () => {
    const text = `{"prompt": "say \\"data:x\\" ${"y".repeat(100)}", "image_url": "data:image/png;base64,${base64}"}`;
    const { scanner } = scan(text, 9);
    expect(scanner.counted).toBeGreaterThan(100);
    expect(scanner.counted).toBeLessThan(text.length - base64.length + 20);
  });

  it("says no past either limit", () => {
    expect(scan(body, 10, outside).ok).toBe(true);
    expect(scan(body, 10, outside - 1).ok).toBe(false);
    expect(scan(body, 10, 1e9, body.length).ok).toBe(true);
    expect(scan(body, 10, 1e9, body.length - 1).ok).toBe(false);
  });
});

describe("createBodyCap", () => {
  it("is 64 KB plus room for two data: URIs of the largest size", () => {
    expect(createBodyCap(3)).toBe(65536 + 2 * (4 + 256));
    expect(createBodyCap(20971520)).toBe(65536 + 2 * (27962028 + 256));
  });
});
