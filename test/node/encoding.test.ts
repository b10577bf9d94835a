/**
 * hex and base64 (src/lib/encoding.ts): RFC 4648 vectors, agreement with
 * Node's Buffer on random bytes, and strict decoding.
 */
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { base64, base64url, fromBase64, fromBase64url, hex } from "../../src/lib/encoding.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

// RFC 4648 §10 test vectors.
const RFC_4648: readonly [text: string, base16: string, base64: string][] = [
  ["", "", ""],
  ["f", "66", "Zg=="],
  ["fo", "666f", "Zm8="],
  ["foo", "666f6f", "Zm9v"],
  ["foob", "666f6f62", "Zm9vYg=="],
  ["fooba", "666f6f6261", "Zm9vYmE="],
  ["foobar", "666f6f626172", "Zm9vYmFy"],
];

describe("encoding", () => {
  it.each(RFC_4648)("encodes %j as the RFC 4648 vectors say", (text, base16, b64) => {
    expect(hex(ascii(text))).toBe(base16);
    expect(base64(ascii(text))).toBe(b64);
    expect(base64url(ascii(text))).toBe(b64.replace(/=+$/, ""));
    expect(fromBase64(b64)).toEqual(ascii(text));
    expect(fromBase64url(b64.replace(/=+$/, ""))).toEqual(ascii(text));
  });

  it("takes an ArrayBuffer as well as a Uint8Array", () => {
    const buffer = new ArrayBuffer(6);
    new Uint8Array(buffer).set(ascii("foobar"));
    expect(hex(buffer)).toBe("666f6f626172");
    expect(base64(buffer)).toBe("Zm9vYmFy");
  });

  it("uses - and _ in base64url where base64 has + and /", () => {
    const bytes = Uint8Array.of(0xfb, 0xff, 0xbf);
    expect(base64(bytes)).toBe("+/+/");
    expect(base64url(bytes)).toBe("-_-_");
    expect(fromBase64url("-_-_")).toEqual(bytes);
  });

  it("agrees with Node's Buffer on random bytes of every length up to 100", () => {
    for (let length = 0; length <= 100; length++) {
      const bytes = crypto.getRandomValues(new Uint8Array(length));
      const reference = Buffer.from(bytes);
      expect(hex(bytes)).toBe(reference.toString("hex"));
      expect(base64(bytes)).toBe(reference.toString("base64"));
      expect(base64url(bytes)).toBe(reference.toString("base64url"));
      expect(fromBase64(base64(bytes))).toEqual(bytes);
      expect(fromBase64url(base64url(bytes))).toEqual(bytes);
    }
  });

  it("returns a Uint8Array over a fresh ArrayBuffer", () => {
    const bytes = fromBase64("Zm9vYmFy");
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.buffer.byteLength).toBe(6);
  });

  it.each([
    ["missing padding", "Zg"],
    ["short padding", "Zg="],
    ["URL-safe characters", "-_-_"],
    ["whitespace", " Zm9v"],
    ["a line break", "Zm9v\nYmFy"],
    ["a character outside the alphabet", "Zm9v*mFy"],
    ["padding in the middle", "Zg==Zm9v"],
  ])("fromBase64 refuses %s", (_name, text) => {
    expect(() => fromBase64(text)).toThrow(TypeError);
  });

  it.each([
    ["padding", "Zg=="],
    ["standard-alphabet characters", "+/+/"],
    ["a length of 1 mod 4", "Zm9vY"],
    ["whitespace", "Zm9v "],
  ])("fromBase64url refuses %s", (_name, text) => {
    expect(() => fromBase64url(text)).toThrow(TypeError);
  });
});
