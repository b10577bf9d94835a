/**
 * A small reader of Python source, enough to take facts out of the AI/ML
 * API's example scripts (scripts/docs-examples.ts): it tokenizes the whole
 * script as Python does (strings of every prefix and quoting, f-strings,
 * comments, brackets spanning lines, indentation), then evaluates what can be
 * known without running anything: literals, names bound to them, f-strings,
 * and the calls of the `requests` package with their URL, `json=` body and
 * `params=`. Anything else evaluates to `UNKNOWN`; nothing is executed.
 *
 * It is not a Python parser: statements are read one logical line at a time
 * and only assignments and expressions are understood, in textual order (an
 * assignment inside an `if` counts). That is what these scripts need, and a
 * construct it does not know makes a value unknown rather than wrong.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import { UNKNOWN, urlOf, type HttpCall, type StaticValue } from "./static-values.ts";

type TokenKind = "name" | "number" | "string" | "op";

interface Token {
  kind: TokenKind;
  text: string;
  /** For strings: the decoded value (f-strings: the raw body, read later). */
  value?: string;
  fString?: boolean;
  line: number;
}

interface LogicalLine {
  indent: number;
  tokens: Token[];
}

export class PythonSyntaxError extends Error {}

const OPERATORS = [
  "**=",
  "//=",
  ">>=",
  "<<=",
  "...",
  "->",
  ":=",
  "**",
  "//",
  "==",
  "!=",
  "<=",
  ">=",
  "<<",
  ">>",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "@=",
];
const SINGLE_OPERATORS = new Set("()[]{}:,;.+-*/%@=<>&|^~!");
const STRING_START = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

/** Splits source into logical lines of tokens, as Python's tokenizer does (comments dropped). */
export function tokenize(source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let tokens: Token[] = [];
  let indent = 0;
  let depth = 0;
  let atLineStart = true;
  let line = 1;
  let i = 0;
  const endLine = (): void => {
    if (tokens.length > 0) lines.push({ indent, tokens });
    tokens = [];
    atLineStart = true;
  };
  while (i < source.length) {
    const c = source[i] ?? "";
    if (atLineStart) {
      let column = 0;
      while (source[i] === " " || source[i] === "\t") {
        column += source[i] === "\t" ? 8 - (column % 8) : 1;
        i++;
      }
      indent = column;
      atLineStart = false;
      continue;
    }
    if (c === "\n") {
      line++;
      i++;
      if (depth === 0) endLine();
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "\\" && source[i + 1] === "\n") {
      i += 2;
      line++;
      continue;
    }
    const stringStart = STRING_START.exec(source.slice(i, i + 5));
    if (stringStart !== null) {
      const prefix = (stringStart[1] ?? "").toLowerCase();
      const quote = stringStart[2] ?? '"';
      const start = i + prefix.length + quote.length;
      const end = findStringEnd(source, start, quote);
      const body = source.slice(start, end);
      line += body.split("\n").length - 1;
      const raw = prefix.includes("r");
      tokens.push({
        kind: "string",
        text: source.slice(i, end + quote.length),
        value: prefix.includes("f") ? body : raw ? body : decodeEscapes(body),
        fString: prefix.includes("f"),
        line,
      });
      i = end + quote.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j] ?? "")) j++;
      tokens.push({ kind: "name", text: source.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      const match = /^(0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?[jJ]?|\d[\d_]*\.)/.exec(
        source.slice(i),
      );
      const text = match?.[0] ?? c;
      tokens.push({ kind: "number", text, line });
      i += text.length;
      continue;
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
    if (op !== undefined) {
      tokens.push({ kind: "op", text: op, line });
      i += op.length;
      continue;
    }
    if (SINGLE_OPERATORS.has(c)) {
      if ("([{".includes(c)) depth++;
      if (")]}".includes(c)) depth = Math.max(0, depth - 1);
      tokens.push({ kind: "op", text: c, line });
      i++;
      continue;
    }
    throw new PythonSyntaxError(`line ${line}: unexpected character ${JSON.stringify(c)}`);
  }
  if (depth !== 0) throw new PythonSyntaxError("unbalanced brackets at the end of the script");
  endLine();
  return lines;
}

/** Where a string's closing quote is (a backslash escapes the next character, in raw strings too). */
function findStringEnd(source: string, start: number, quote: string): number {
  let i = start;
  while (i < source.length) {
    if (source[i] === "\\") {
      i += 2;
      continue;
    }
    if (source.startsWith(quote, i)) return i;
    if (quote.length === 1 && source[i] === "\n") break;
    i++;
  }
  throw new PythonSyntaxError(`an unterminated string at offset ${start}`);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
};

function decodeEscapes(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\s\S])/g, (whole, escape: string) => {
    if (escape.length > 1) return String.fromCodePoint(parseInt(escape.slice(1), 16));
    return SIMPLE_ESCAPES[escape] ?? whole;
  });
}

// ---------------------------------------------------------------------------
// Evaluation

type Env = Map<string, StaticValue>;

interface Context {
  calls: HttpCall[];
  /** Keys read from an answer with `.get("key")` or `["key"]`. */
  keysRead: Set<string>;
  scope: string;
}

class TokenStream {
  position = 0;
  readonly tokens: readonly Token[];
  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }
  next(): Token | undefined {
    const token = this.tokens[this.position];
    this.position++;
    return token;
  }
  isOp(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === "op" && token.text === text;
  }
  done(): boolean {
    return this.position >= this.tokens.length;
  }
}

const CLOSING: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Skips to the next `,` or closer at this bracket depth (used after a construct this reader does not know). */
function skipExpression(stream: TokenStream): void {
  let depth = 0;
  while (!stream.done()) {
    const token = stream.peek();
    if (token?.kind === "op") {
      if (token.text in CLOSING) depth++;
      else if (")]}".includes(token.text)) {
        if (depth === 0) return;
        depth--;
      } else if ((token.text === "," || token.text === ":") && depth === 0) return;
    }
    stream.next();
  }
}

/** One expression; stops before `,`, `:`, a closer, `=` of a keyword argument, or the end. */
function expression(stream: TokenStream, env: Env, context: Context): StaticValue {
  let value = unary(stream, env, context);
  for (;;) {
    const token = stream.peek();
    if (token === undefined || token.kind !== "op") {
      if (token?.kind === "name" && ["if", "else", "and", "or", "in", "not", "is", "for"].includes(token.text)) {
        skipExpression(stream);
        return UNKNOWN;
      }
      return value;
    }
    if (token.text === "+") {
      stream.next();
      const right = unary(stream, env, context);
      value = typeof value === "string" && typeof right === "string" ? value + right : UNKNOWN;
      continue;
    }
    if (["-", "*", "/", "//", "%", "**", "==", "!=", "<", ">", "<=", ">=", "|", "&", "^", "@"].includes(token.text)) {
      stream.next();
      unary(stream, env, context);
      value = UNKNOWN;
      continue;
    }
    return value;
  }
}

function unary(stream: TokenStream, env: Env, context: Context): StaticValue {
  if (stream.isOp("-") || stream.isOp("+")) {
    const sign = stream.next()?.text === "-" ? -1 : 1;
    const operand = unary(stream, env, context);
    return typeof operand === "number" ? sign * operand : UNKNOWN;
  }
  if (stream.peek()?.kind === "name" && stream.peek()?.text === "not") {
    stream.next();
    unary(stream, env, context);
    return UNKNOWN;
  }
  return primary(stream, env, context);
}

function primary(stream: TokenStream, env: Env, context: Context): StaticValue {
  const token = stream.next();
  if (token === undefined) return UNKNOWN;
  let value: StaticValue = UNKNOWN;
  let path: string[] = [];
  switch (token.kind) {
    case "string": {
      value = stringValue(token, env, context);
      while (stream.peek()?.kind === "string") {
        const next = stringValue(stream.next() as Token, env, context);
        value = typeof value === "string" && typeof next === "string" ? value + next : UNKNOWN;
      }
      break;
    }
    case "number":
      value = numberValue(token.text);
      break;
    case "name":
      if (token.text === "True" || token.text === "true") value = true;
      else if (token.text === "False" || token.text === "false") value = false;
      else if (token.text === "None" || token.text === "null") value = null;
      else if (token.text === "lambda") {
        skipExpression(stream);
        return UNKNOWN;
      } else value = env.has(token.text) ? (env.get(token.text) as StaticValue) : UNKNOWN;
      path = [token.text];
      break;
    case "op":
      if (token.text === "{") value = display(stream, env, context, "}");
      else if (token.text === "[") value = display(stream, env, context, "]");
      else if (token.text === "(") value = display(stream, env, context, ")");
      else {
        skipExpression(stream);
        return UNKNOWN;
      }
      break;
  }
  // Trailers: attributes, calls, subscripts.
  for (;;) {
    if (stream.isOp(".") && stream.peek(1)?.kind === "name") {
      stream.next();
      path = path.length > 0 ? [...path, (stream.next() as Token).text] : [];
      value = UNKNOWN;
      continue;
    }
    if (stream.isOp("(")) {
      stream.next();
      const { positional, keywords } = callArguments(stream, env, context);
      value = call(path, positional, keywords, context);
      path = [];
      continue;
    }
    if (stream.isOp("[")) {
      stream.next();
      const key = expression(stream, env, context);
      skipTo(stream, "]");
      if (typeof key === "string") context.keysRead.add(key);
      value = UNKNOWN;
      path = [];
      continue;
    }
    return value;
  }
}

function skipTo(stream: TokenStream, closer: string): void {
  while (!stream.done()) {
    const token = stream.next();
    if (token?.kind === "op" && token.text in CLOSING) skipTo(stream, CLOSING[token.text] ?? "");
    else if (token?.kind === "op" && token.text === closer) return;
  }
}

function callArguments(
  stream: TokenStream,
  env: Env,
  context: Context,
): { positional: StaticValue[]; keywords: Map<string, StaticValue> } {
  const positional: StaticValue[] = [];
  const keywords = new Map<string, StaticValue>();
  while (!stream.done() && !stream.isOp(")")) {
    if (stream.isOp("*") || stream.isOp("**")) {
      stream.next();
      expression(stream, env, context);
      positional.push(UNKNOWN);
    } else if (stream.peek()?.kind === "name" && stream.isOp("=", 1)) {
      const name = (stream.next() as Token).text;
      stream.next();
      keywords.set(name, expression(stream, env, context));
    } else {
      positional.push(expression(stream, env, context));
    }
    if (stream.peek()?.kind === "name" && stream.peek()?.text === "for") skipExpression(stream);
    if (stream.isOp(",")) stream.next();
    else if (!stream.isOp(")")) skipExpression(stream);
  }
  stream.next();
  return { positional, keywords };
}

function call(
  path: readonly string[],
  positional: readonly StaticValue[],
  keywords: ReadonlyMap<string, StaticValue>,
  context: Context,
): StaticValue {
  const [module, method] = path;
  if (path.length === 2 && module === "requests" && (method === "post" || method === "get")) {
    const params = keywords.get("params");
    context.calls.push({
      scope: context.scope,
      method: method === "post" ? "POST" : "GET",
      ...urlOf(positional[0] ?? keywords.get("url") ?? UNKNOWN, params),
      body: keywords.has("json") ? (keywords.get("json") as StaticValue) : undefined,
    });
    return UNKNOWN;
  }
  // `answer.get("generation_id")`: the script reads that key of an answer.
  if (path.at(-1) === "get" && typeof positional[0] === "string") context.keysRead.add(positional[0]);
  return UNKNOWN;
}

/** `{…}`, `[…]`, `(…)`: dicts, lists, tuples (as lists), sets (unknown); comprehensions are unknown. */
function display(stream: TokenStream, env: Env, context: Context, closer: string): StaticValue {
  if (isComprehension(stream)) {
    skipTo(stream, closer);
    return UNKNOWN;
  }
  const items: StaticValue[] = [];
  const entries: [StaticValue, StaticValue][] = [];
  let isDict = false;
  let known = true;
  while (!stream.done() && !stream.isOp(closer)) {
    if (stream.isOp("**") || stream.isOp("*")) {
      stream.next();
      expression(stream, env, context);
      known = false;
    } else {
      const first = expression(stream, env, context);
      if (closer === "}" && stream.isOp(":")) {
        stream.next();
        isDict = true;
        entries.push([first, expression(stream, env, context)]);
      } else items.push(first);
    }
    if (stream.peek()?.kind === "name" && stream.peek()?.text === "for") {
      skipExpression(stream);
      known = false;
    }
    if (stream.isOp(",")) stream.next();
    else if (!stream.isOp(closer)) {
      skipExpression(stream);
      if (stream.isOp(",")) stream.next();
      else if (!stream.isOp(closer)) stream.next();
      known = false;
    }
  }
  stream.next();
  if (!known) return UNKNOWN;
  if (closer === "}") {
    if (!isDict && items.length > 0) return UNKNOWN; // a set
    const object: Record<string, StaticValue> = {};
    for (const [key, value] of entries) {
      if (typeof key !== "string") return UNKNOWN;
      object[key] = value;
    }
    return object;
  }
  return items;
}

/** Whether the display starting here holds a `for` at its own depth (a comprehension). */
function isComprehension(stream: TokenStream): boolean {
  let depth = 0;
  for (let offset = 0; ; offset++) {
    const token = stream.peek(offset);
    if (token === undefined) return false;
    if (token.kind === "op" && token.text in CLOSING) depth++;
    else if (token.kind === "op" && ")]}".includes(token.text)) {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && token.kind === "name" && token.text === "for") return true;
  }
}

function numberValue(text: string): StaticValue {
  const clean = text.replace(/_/g, "");
  if (/[jJ]$/.test(clean) || /^0[xXoObB]/.test(clean)) return UNKNOWN;
  const value = Number(clean);
  return Number.isFinite(value) ? value : UNKNOWN;
}

/** A string token's value; an f-string's `{name}` fields are evaluated in `env` (anything else unknown). */
function stringValue(token: Token, env: Env, context: Context): StaticValue {
  const body = token.value ?? "";
  if (token.fString !== true) return body;
  let text = "";
  let i = 0;
  while (i < body.length) {
    if (body.startsWith("{{", i) || body.startsWith("}}", i)) {
      text += body[i];
      i += 2;
      continue;
    }
    if (body[i] === "{") {
      const end = body.indexOf("}", i);
      if (end < 0) return UNKNOWN;
      const field = body.slice(i + 1, end);
      if (/[!:]/.test(field.replace(/\[[^\]]*\]/g, ""))) return UNKNOWN;
      let value: StaticValue = UNKNOWN;
      try {
        const line = tokenize(field)[0];
        if (line !== undefined) {
          const stream = new TokenStream(line.tokens);
          value = expression(stream, env, context);
          if (!stream.done()) value = UNKNOWN;
        }
      } catch {
        value = UNKNOWN;
      }
      if (typeof value !== "string" && typeof value !== "number") return UNKNOWN;
      text += String(value);
      i = end + 1;
      continue;
    }
    text += body[i];
    i++;
  }
  return decodeEscapes(text);
}

export interface PythonFacts {
  calls: HttpCall[];
  keysRead: Set<string>;
}

/**
 * The HTTP calls a script makes with `requests`, and the answer keys it reads.
 * Module-level names are bound first (Python resolves them when a function
 * runs, after the module has run), then each function's body is read in order
 * in its own scope.
 */
export function readPythonScript(source: string): PythonFacts {
  const lines = tokenize(source);
  const context: Context = { calls: [], keysRead: new Set(), scope: "(module)" };
  const moduleEnv: Env = new Map();
  // Which function each line belongs to: the innermost `def` above it with a smaller indentation.
  const owners: (number | null)[] = [];
  const stack: { indent: number; index: number }[] = [];
  lines.forEach((line, index) => {
    while (stack.length > 0 && (stack.at(-1)?.indent ?? 0) >= line.indent) stack.pop();
    owners.push(stack.at(-1)?.index ?? null);
    const first = line.tokens[0];
    if (
      first?.kind === "name" &&
      (first.text === "def" || (first.text === "async" && line.tokens[1]?.text === "def"))
    ) {
      stack.push({ indent: line.indent, index });
    }
  });
  const run = (line: LogicalLine, env: Env): void => {
    const tokens = line.tokens;
    const first = tokens[0];
    if (
      first?.kind === "name" &&
      ["def", "async", "class", "import", "from", "return", "global"].includes(first.text)
    ) {
      if (first.text === "return") evaluateLine(tokens.slice(1), env, context);
      return;
    }
    // `name = value` (also `name: type = value`); compound statements (`if x:`, `while …:`) are read as expressions.
    const assign = tokens.findIndex((token) => token.kind === "op" && token.text === "=");
    if (first?.kind === "name" && (assign === 1 || (assign > 1 && tokens[1]?.text === ":"))) {
      env.set(first.text, evaluateLine(tokens.slice(assign + 1), env, context));
      return;
    }
    evaluateLine(tokens, env, context);
  };
  lines.forEach((line, index) => {
    if (owners[index] === null) run(line, moduleEnv);
  });
  const functionEnvs = new Map<number, Env>();
  lines.forEach((line, index) => {
    const owner = owners[index];
    if (owner === null || owner === undefined) return;
    let env = functionEnvs.get(owner);
    if (env === undefined) {
      // A nested function sees its enclosing function's names (read so far), then the module's.
      const parent = owners[owner];
      env = new Map([
        ...moduleEnv,
        ...(parent === null || parent === undefined ? [] : (functionEnvs.get(parent) ?? [])),
      ]);
      functionEnvs.set(owner, env);
    }
    const def = lines[owner]?.tokens;
    context.scope = def?.[def[0]?.text === "async" ? 2 : 1]?.text ?? "(function)";
    run(line, env);
  });
  return { calls: context.calls, keysRead: context.keysRead };
}

function evaluateLine(tokens: Token[], env: Env, context: Context): StaticValue {
  const stream = new TokenStream(tokens);
  let value: StaticValue = UNKNOWN;
  while (!stream.done()) {
    const before = stream.position;
    value = expression(stream, env, context);
    if (stream.position === before) stream.next();
  }
  return value;
}

/** One Python literal (a dict, list, string, number, `True`/`False`/`None`; JSON's words too), or UNKNOWN. */
export function readPythonLiteral(text: string): StaticValue {
  let lines: LogicalLine[];
  try {
    lines = tokenize(text);
  } catch {
    return UNKNOWN;
  }
  const only = lines.length === 1 ? lines[0] : undefined;
  if (only === undefined) return UNKNOWN;
  const stream = new TokenStream(only.tokens);
  const context: Context = { calls: [], keysRead: new Set(), scope: "(literal)" };
  const value = expression(stream, new Map(), context);
  return stream.done() ? value : UNKNOWN;
}
