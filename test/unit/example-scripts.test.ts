import { describe, expect, it } from "vitest";
import { adaptScript, usesHttpsModule } from "../../scripts/example-scripts.ts";
import { scriptBlocks } from "../../scripts/docs-examples.ts";

describe("published scripts made ready to run (scripts/example-scripts.ts)", () => {
  it("replaces the base URL and every form of the key placeholder, and nothing else", () => {
    const script = [
      'api_key = "<YOUR_AIMLAPI_KEY>"',
      'other = "&#x3C;YOUR_AIMLAPI_KEY>"',
      "headers = { Authorization: 'Bearer <YOUR_API_KEY>' }",
      'old = "Bearer my_key"',
      'url = "https://api.aimlapi.com/v2/video/generations"',
      'image = "https://cdn.aimlapi.com/eagle.png"',
      'docs = "https://docs.aimlapi.com/"',
    ].join("\n");
    expect(adaptScript(script, "http://localhost:9000", "key_1")).toBe(
      [
        'api_key = "key_1"',
        'other = "key_1"',
        "headers = { Authorization: 'Bearer key_1' }",
        'old = "Bearer key_1"',
        'url = "http://localhost:9000/v2/video/generations"',
        'image = "https://cdn.aimlapi.com/eagle.png"',
        'docs = "https://docs.aimlapi.com/"',
      ].join("\n"),
    );
  });

  it("tells the scripts that need https", () => {
    expect(usesHttpsModule('const https = require("https");')).toBe(true);
    expect(usesHttpsModule("import https from 'node:https';")).toBe(true);
    expect(usesHttpsModule("const r = await fetch('https://api.aimlapi.com/v2/video/generations');")).toBe(false);
  });

  it("names a page's scripts by language and place, leaving out its Response blocks", () => {
    const page = [
      "```python",
      "print(1)",
      "```",
      "<details><summary>Response</summary>",
      "```python",
      "{'id': 'x', 'status': 'completed'}",
      "```",
      "</details>",
      "```javascript",
      "console.log(2)",
      "```",
      "```python",
      "print(3)",
      "```",
    ].join("\n");
    const { scripts, responses } = scriptBlocks(page);
    expect(scripts.map((s) => [s.name, s.text])).toEqual([
      ["python 1", "print(1)"],
      ["javascript 1", "console.log(2)"],
      ["python 2", "print(3)"],
    ]);
    expect(responses).toEqual(["{'id': 'x', 'status': 'completed'}"]);
  });
});
