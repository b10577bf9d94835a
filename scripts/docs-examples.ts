/**
 * Facts from the AI/ML API's per-model documentation pages (the `.md` files
 * beside the schema files in `docs/api-references/video-models/`), for
 * `npm run sync-models`:
 *
 * - the model ids a page names (the list of models at its top);
 * - the schema files it links for its create operation;
 * - each example script's request (Python `requests` and JavaScript `fetch` /
 *   `https.request` code blocks): the model, the path it posts to, the path
 *   it polls, the body it sends and the key of the create answer it reads the
 *   task id from;
 * - the top-level keys of the answers the page shows (its "Response" blocks).
 *
 * The scripts are read with real parsers (acorn for JavaScript, a Python
 * tokenizer for Python) and evaluated statically: nothing is executed. A
 * block that cannot be read is reported with the reason, never guessed at.
 * Only facts leave this module; the caller decides what to keep.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import { readJavaScriptExpression, readJavaScriptScript } from "./javascript-calls.ts";
import { readPythonLiteral, readPythonScript } from "./python-literals.ts";
import { isPlainObject, toJson, type HttpCall, type StaticValue } from "./static-values.ts";

export type ExampleLanguage = "python" | "javascript";

/** One example request of a page. `body` is the documentation's own body: facts are taken from it, it is not kept. */
export interface ExampleFacts {
  /** `python 1`, `javascript 2`: the language and the block's place among the page's blocks of that language. */
  block: string;
  language: ExampleLanguage;
  model: string;
  /** The path the example posts to (the URL's path: `/v2/video/generations`, `/v2/generate/video/kling/generation`). */
  createPath: string;
  /** The path it polls with `generation_id`, or null when it does not poll. */
  pollPath: string | null;
  body: Record<string, unknown>;
  /** The key of the create answer the script reads the task id from. */
  idKey: "id" | "generation_id";
}

/** A script that only polls (a page about fetching a generation). */
export interface PollOnlyFacts {
  block: string;
  language: ExampleLanguage;
  pollPath: string;
}

export interface PageFacts {
  /** The page, relative to the video-models folder, with `/` separators. */
  page: string;
  /** Model ids the page names in its list of models. */
  namedIds: string[];
  /** Schema files the page links for its create operation, relative to the video-models folder. */
  linkedSchemas: string[];
  examples: ExampleFacts[];
  pollOnly: PollOnlyFacts[];
  /** Code blocks that hold a request but could not be read, with the reason. */
  unreadable: { block: string; reason: string }[];
  /** Top-level keys of the answers the page shows: the create answer and the finished poll answer. */
  answers: { create: string[]; poll: string[] };
}

interface FencedBlock {
  language: string;
  text: string;
  /** Offset of the block in the page. */
  offset: number;
}

/** Fenced code blocks (``` or ~~~), with their info string's first word as the language. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split("\n");
  let offset = 0;
  let open: { fence: string; language: string; start: number; lines: string[] } | null = null;
  for (const line of lines) {
    if (open === null) {
      const match = /^\s*(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (match !== null)
        open = { fence: match[1] ?? "```", language: (match[2] ?? "").toLowerCase(), start: offset, lines: [] };
    } else if (line.trim().startsWith(open.fence) && line.trim().replace(/[`~]/g, "") === "") {
      blocks.push({ language: open.language, text: open.lines.join("\n"), offset: open.start });
      open = null;
    } else {
      open.lines.push(line);
    }
    offset += line.length + 1;
  }
  return blocks;
}

const LANGUAGES: Record<string, ExampleLanguage> = {
  python: "python",
  py: "python",
  javascript: "javascript",
  js: "javascript",
};

/** A page's script: a Python or JavaScript code block outside its "Response" sections. */
export interface ScriptBlock {
  /** `python 1`, `javascript 2`: the language and the block's place among the page's scripts of that language. */
  name: string;
  language: ExampleLanguage;
  text: string;
}

/** The page's scripts, named as the examples read from them are, and the blocks of its "Response" sections. */
export function scriptBlocks(markdown: string): { scripts: ScriptBlock[]; responses: string[] } {
  const counts: Record<ExampleLanguage, number> = { python: 0, javascript: 0 };
  const ranges = responseRanges(markdown);
  const scripts: ScriptBlock[] = [];
  const responses: string[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (ranges.some(([start, end]) => block.offset >= start && block.offset < end)) {
      responses.push(block.text);
      continue;
    }
    const language = LANGUAGES[block.language];
    if (language === undefined) continue;
    counts[language]++;
    scripts.push({ name: `${language} ${counts[language]}`, language, text: block.text });
  }
  return { scripts, responses };
}

/** Reads one page (`page` is its path relative to the video-models folder). */
export function readPage(page: string, markdown: string): PageFacts {
  const facts: PageFacts = {
    page,
    namedIds: namedIds(markdown),
    linkedSchemas: linkedSchemas(markdown),
    examples: [],
    pollOnly: [],
    unreadable: [],
    answers: { create: [], poll: [] },
  };
  const create = new Set<string>();
  const poll = new Set<string>();
  const { scripts, responses } = scriptBlocks(markdown);
  for (const text of responses) readAnswers(text, create, poll);
  for (const { name, language, text } of scripts) {
    let calls: HttpCall[];
    let keysRead: Set<string>;
    try {
      ({ calls, keysRead } = language === "python" ? readPythonScript(text) : readJavaScriptScript(text));
    } catch (error) {
      // A fragment (one line to add to an example) holds no request: only a block that looks like a request is reported.
      if (/generation|requests\.|fetch\(|https\.request/.test(text)) {
        facts.unreadable.push({
          block: name,
          reason: `does not parse: ${error instanceof Error ? error.message : String(error)}`,
        });
      }
      continue;
    }
    addBlock(facts, name, language, calls, keysRead);
  }
  facts.answers = { create: [...create].sort(), poll: [...poll].sort() };
  return facts;
}

function addBlock(
  facts: PageFacts,
  name: string,
  language: ExampleLanguage,
  calls: readonly HttpCall[],
  keysRead: ReadonlySet<string>,
): void {
  const polls = calls.filter((call) => call.method === "GET" && call.query.includes("generation_id"));
  const pollPath = polls.map((call) => pathOf(call.url)).find((path) => path !== null) ?? null;
  const creates = calls.filter((call) => call.method === "POST");
  if (creates.length === 0 && pollPath !== null) {
    facts.pollOnly.push({ block: name, language, pollPath });
    return;
  }
  for (const call of creates) {
    const createPath = pathOf(call.url);
    const body = call.body === undefined ? undefined : toJson(call.body);
    if (createPath === null) {
      facts.unreadable.push({ block: name, reason: "the URL it posts to is not known without running it" });
      continue;
    }
    if (!isPlainObject(body) || typeof body["model"] !== "string") {
      facts.unreadable.push({ block: name, reason: "the body it posts is not known without running it" });
      continue;
    }
    facts.examples.push({
      block: name,
      language,
      model: body["model"],
      createPath,
      pollPath,
      body,
      idKey: keysRead.has("generation_id") ? "generation_id" : "id",
    });
  }
}

/** The path of an absolute URL, or null. */
function pathOf(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? decodeURIComponent(parsed.pathname) : null;
  } catch {
    return null;
  }
}

/** `* \`model/id\`` items of the page's hint blocks: the models the page is about. */
function namedIds(markdown: string): string[] {
  const ids: string[] = [];
  for (const hint of markdown.matchAll(/\{%\s*hint[^%]*%\}([\s\S]*?)\{%\s*endhint\s*%\}/g)) {
    for (const item of (hint[1] ?? "").matchAll(/^\s*[*-]\s+`([^`\s]+)`\s*$/gm)) {
      if (item[1] !== undefined && !ids.includes(item[1])) ids.push(item[1]);
    }
  }
  return ids;
}

const SCHEMA_LINK = /\{%\s*openapi-operation\s+[^%]*method="post"[^%]*%\}\s*\[[^\]]*\]\(([^)\s]+)\)/g;
const VIDEO_MODELS = "/docs/api-references/video-models/";

function linkedSchemas(markdown: string): string[] {
  const files: string[] = [];
  for (const link of markdown.matchAll(SCHEMA_LINK)) {
    const url = link[1] ?? "";
    const at = url.indexOf(VIDEO_MODELS);
    if (at >= 0) files.push(decodeURIComponent(url.slice(at + VIDEO_MODELS.length)));
  }
  return files;
}

/** Where the page's "Response" sections are: `<summary>Response</summary>` up to `</details>`. */
function responseRanges(markdown: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const match of markdown.matchAll(/<summary>\s*Response\s*<\/summary>/gi)) {
    const start = match.index;
    const end = markdown.indexOf("</details>", start);
    ranges.push([start, end < 0 ? markdown.length : end]);
  }
  return ranges;
}

const FINISHED = new Set(["completed", "succeeded", "success", "failed", "error"]);

/**
 * Reads the answers printed in a Response block: each `{…}` at the top level
 * of the text (Python's `repr`, JSON, or Node's `console.log` rendering). The
 * first answer of a block that is not finished is the create answer; an
 * answer with a video or a finished status is a poll answer.
 */
function readAnswers(text: string, create: Set<string>, poll: Set<string>): void {
  let first = true;
  for (const candidate of balancedObjects(text)) {
    let value: StaticValue = readPythonLiteral(candidate);
    if (!isPlainObject(value)) value = readJavaScriptExpression(candidate);
    if (!isPlainObject(value) || !("status" in value)) continue;
    const status = value["status"];
    const finished = "video" in value || (typeof status === "string" && FINISHED.has(status));
    if (finished) for (const key of Object.keys(value)) poll.add(key);
    else if (first) for (const key of Object.keys(value)) create.add(key);
    first = false;
  }
}

/** Every `{…}` of the text that is not inside another, quotes respected. */
function balancedObjects(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "{") {
      i++;
      continue;
    }
    let depth = 0;
    let quote: string | null = null;
    let j = i;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote !== null) {
        if (c === "\\") j++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) break;
    }
    if (j >= text.length) break;
    found.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return found;
}
