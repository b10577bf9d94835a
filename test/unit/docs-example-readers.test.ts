/**
 * The readers `npm run sync-models` takes the documentation's example
 * requests with (scripts/python-literals.ts, scripts/javascript-calls.ts,
 * scripts/docs-examples.ts): what each finds in scripts written for these
 * tests in the styles the AI/ML API's pages use, and that nothing is guessed
 * where a value cannot be known without running the script.
 */
import { describe, expect, it } from "vitest";
import { fencedBlocks, readPage } from "../../scripts/docs-examples.ts";
import { readJavaScriptExpression, readJavaScriptScript } from "../../scripts/javascript-calls.ts";
import { PythonSyntaxError, readPythonLiteral, readPythonScript } from "../../scripts/python-literals.ts";
import { toJson, UNKNOWN } from "../../scripts/static-values.ts";

describe("the Python reader", () => {
  it("finds a requests.post with its URL built from module names and a json= body, and the poll with params", () => {
    const facts = readPythonScript(`
import requests

api_key = "k"
base_url = "https://api.example.test/v2"

def create():
    url = f"{base_url}/generate/video/kling/generation"
    data = {
        "model": "m/one",
        "prompt": '''Two lines
of text''',   # a comment after the value
        # "seed": 1,
        "duration": "5",
        "ratio": "16" ":9",
        "flags": [True, False, None],
        "nested": {"depth": -2, "scale": 1.5e1},
    }
    return requests.post(url, json=data, headers={"Authorization": f"Bearer {api_key}"})

def fetch(gen_id):
    url = f"{base_url}/generate/video/kling/generation"
    return requests.get(url, params={"generation_id": gen_id}).json()

answer = create().json()
task = answer.get("generation_id")
`);
    expect(facts.calls).toEqual([
      {
        scope: "create",
        method: "POST",
        url: "https://api.example.test/v2/generate/video/kling/generation",
        query: [],
        body: {
          model: "m/one",
          prompt: "Two lines\nof text",
          duration: "5",
          ratio: "16:9",
          flags: [true, false, null],
          nested: { depth: -2, scale: 15 },
        },
      },
      {
        scope: "fetch",
        method: "GET",
        url: "https://api.example.test/v2/generate/video/kling/generation",
        query: ["generation_id"],
        body: undefined,
      },
    ]);
    expect(facts.keysRead.has("generation_id")).toBe(true);
  });

  it("keeps each function's names to itself", () => {
    const facts = readPythonScript(`
import requests
def one():
    url = "https://api.example.test/v2/video/generations"
    requests.post(url, json={"model": "a"})
def two():
    requests.post(url, json={"model": "b"})
`);
    expect(facts.calls.map((call) => call.url)).toEqual(["https://api.example.test/v2/video/generations", null]);
  });

  it("reads escapes, raw strings and f-string escapes as Python does", () => {
    expect(readPythonLiteral(String.raw`"a\tb\u00e9"`)).toBe("a\tbé");
    expect(readPythonLiteral(String.raw`r"a\tb"`)).toBe("a\\tb");
    expect(readPythonLiteral(`{"k": 'it\\'s', "n": 0.5}`)).toEqual({ k: "it's", n: 0.5 });
    const facts = readPythonScript(
      `import requests\nx = "v"\nrequests.post(f"https://h.test/{x}/{{y}}", json={"model": f"{x}!"})`,
    );
    expect(facts.calls[0]?.url).toBe("https://h.test/v/{y}");
    expect(facts.calls[0]?.body).toEqual({ model: "v!" });
  });

  it("leaves unknown what it cannot know: calls, operators other than string +, comprehensions", () => {
    const facts = readPythonScript(`
import requests, os
requests.post("https://h.test/v2/video/generations", json={"model": os.environ["M"], "n": 1 * 2, "l": [i for i in range(3)]})
`);
    const body = facts.calls[0]?.body;
    expect(body).toMatchObject({ model: UNKNOWN, n: UNKNOWN, l: UNKNOWN });
    expect(toJson(body ?? null)).toBeUndefined();
  });

  it("reads Python's repr of an answer, and JSON's words too", () => {
    expect(readPythonLiteral("{'id': 'x', 'status': 'completed', 'video': {'url': 'u'}, 'error': None}")).toEqual({
      id: "x",
      status: "completed",
      video: { url: "u" },
      error: null,
    });
    expect(readPythonLiteral('{"ok": true, "none": null}')).toEqual({ ok: true, none: null });
    expect(readPythonLiteral("{ id: 'x' }")).toBe(UNKNOWN);
  });

  it("stops on source it cannot tokenize, rather than guessing", () => {
    expect(() => readPythonScript('x = "unterminated\n')).toThrow(PythonSyntaxError);
    expect(() => readPythonScript("x = (1, 2\n")).toThrow(PythonSyntaxError);
  });
});

describe("the JavaScript reader", () => {
  it("finds an https.request POST whose body arrives with req.write, and a GET with searchParams", () => {
    const facts = readJavaScriptScript(`
const https = require("https");
const { URL } = require("url");
function create(callback) {
  const data = JSON.stringify({ model: "m/two", prompt: \`A line\`, duration: "10", sizes: [1, -2] });
  const url = new URL(\`\${baseUrl}/video/generations\`);
  const req = https.request(url, { method: "POST", headers: {} }, (res) => callback(res));
  req.write(data);
  req.end();
}
function poll(id, callback) {
  const url = new URL(\`\${baseUrl}/video/generations\`);
  url.searchParams.append("generation_id", id);
  https.request(url, { method: "GET" }, callback).end();
}
create((answer) => poll(answer.generation_id, console.log));
const baseUrl = "https://api.example.test/v2";
`);
    expect(facts.calls).toEqual([
      {
        scope: "create",
        method: "POST",
        url: "https://api.example.test/v2/video/generations",
        query: [],
        body: { model: "m/two", prompt: "A line", duration: "10", sizes: [1, -2] },
      },
      { scope: "poll", method: "GET", url: "https://api.example.test/v2/video/generations", query: ["generation_id"] },
    ]);
    expect(facts.keysRead.has("generation_id")).toBe(true);
  });

  it("finds fetch calls with a JSON.stringify body and a URLSearchParams query", () => {
    const facts = readJavaScriptScript(`
const main = async () => {
  const data = { model: "m/three", image_url: "https://files.test/a.png" };
  await fetch("https://api.example.test/v2/generate/video/minimax/generation", { method: "post", body: JSON.stringify(data) });
  const params = new URLSearchParams({ generation_id: "x" });
  await fetch(\`https://api.example.test/v2/generate/video/minimax/generation?\${params.toString()}\`);
};
main();
`);
    expect(facts.calls.map(({ method, url, query, body }) => ({ method, url, query, body }))).toEqual([
      {
        method: "POST",
        url: "https://api.example.test/v2/generate/video/minimax/generation",
        query: [],
        body: { model: "m/three", image_url: "https://files.test/a.png" },
      },
      {
        method: "GET",
        url: "https://api.example.test/v2/generate/video/minimax/generation",
        query: ["generation_id"],
        body: undefined,
      },
    ]);
  });

  it("leaves a body unknown when part of it is computed", () => {
    const facts = readJavaScriptScript(
      `fetch("https://h.test/v2/video/generations", { method: "POST", body: JSON.stringify({ model: pick(), n: 2 * 3 }) });`,
    );
    expect(toJson(facts.calls[0]?.body ?? null)).toBeUndefined();
  });

  it("throws on a script that does not parse (the page's slip is reported, not guessed at)", () => {
    expect(() => readJavaScriptScript("const data = JSON.stringify({ model: 'x' };")).toThrow();
  });

  it("reads Node's console.log rendering of an answer", () => {
    expect(readJavaScriptExpression("{\n  id: 'x',\n  status: 'completed',\n  video: { url: 'u' }\n}")).toEqual({
      id: "x",
      status: "completed",
      video: { url: "u" },
    });
  });
});

describe("a documentation page", () => {
  const page = `# A page

{% hint style="info" %}
* \`vendor/model-a\`
* \`vendor/model-b\`
{% endhint %}

{% openapi-operation spec="x" path="/v2/video/generations" method="post" %}
[OpenAPI x](https://raw.example.test/docs/api-references/video-models/Vendor/model-a.json)
{% endopenapi-operation %}

\`\`\`python
import requests
r = requests.post("https://api.example.test/v2/video/generations", json={"model": "vendor/model-a", "prompt": "p"})
print(r.json().get("id"))
\`\`\`

\`\`\`javascript
fetch("https://api.example.test/v2/video/generations", { method: "POST", body: JSON.stringify({ model: "vendor/model-b" }) });
\`\`\`

\`\`\`python
"prompt": "a fragment to paste into the example above"
\`\`\`

<details>
<summary>Response</summary>

\`\`\`json5
Generation: {'id': 'g', 'status': 'queued'}
Status: generating
Done: {'id': 'g', 'status': 'completed', 'video': {'url': 'u'}, 'meta': {'usage': {'tokens_used': 1}}}
\`\`\`

</details>
`;

  it("splits fenced blocks with their language", () => {
    expect(fencedBlocks(page).map((block) => block.language)).toEqual(["python", "javascript", "python", "json5"]);
  });

  it("gives the ids it names, the schema it links, each example with its block, and the answers' keys", () => {
    const facts = readPage("Vendor/model-a.md", page);
    expect(facts.namedIds).toEqual(["vendor/model-a", "vendor/model-b"]);
    expect(facts.linkedSchemas).toEqual(["Vendor/model-a.json"]);
    expect(
      facts.examples.map(({ block, model, createPath, pollPath, idKey }) => ({
        block,
        model,
        createPath,
        pollPath,
        idKey,
      })),
    ).toEqual([
      { block: "python 1", model: "vendor/model-a", createPath: "/v2/video/generations", pollPath: null, idKey: "id" },
      {
        block: "javascript 1",
        model: "vendor/model-b",
        createPath: "/v2/video/generations",
        pollPath: null,
        idKey: "id",
      },
    ]);
    // The fragment holds no request: neither an example nor an unreadable block.
    expect(facts.unreadable).toEqual([]);
    expect(facts.answers).toEqual({ create: ["id", "status"], poll: ["id", "meta", "status", "video"] });
  });
});
