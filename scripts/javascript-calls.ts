/**
 * Reads the AI/ML API's JavaScript example scripts (scripts/docs-examples.ts)
 * with acorn, a real JavaScript parser, and evaluates what can be known
 * without running anything: literals, names bound to them, template strings,
 * `new URL(…)` with its `searchParams`, `JSON.stringify(…)`, and the HTTP
 * calls (`fetch(url, options)`, `https.request(url, options)` with its
 * `req.write(body)`). Anything else evaluates to `UNKNOWN`; nothing is run.
 *
 * Statements are read in source order, each function in its own scope that
 * sees the scopes around it; top-level declarations are bound first, since
 * the functions that use them run after the module has.
 *
 * Erasable TypeScript only, so `node scripts/sync-models.ts` runs it directly.
 */
import { parse, type AnyNode, type Expression, type Node, type Pattern, type Program } from "acorn";
import {
  HOLE,
  isPlainObject,
  JsonText,
  RequestHandle,
  UNKNOWN,
  UrlValue,
  urlOf,
  type HttpCall,
  type StaticValue,
} from "./static-values.ts";

class Scope {
  readonly vars = new Map<string, StaticValue>();
  readonly parent: Scope | null;
  readonly name: string;
  constructor(parent: Scope | null, name: string) {
    this.parent = parent;
    this.name = name;
  }
  /** The scope that binds `name`: this one or an enclosing one. */
  private owner(name: string): Scope | null {
    if (this.vars.has(name)) return this;
    return this.parent === null ? null : this.parent.owner(name);
  }
  lookup(name: string): StaticValue {
    const owner = this.owner(name);
    return owner === null ? UNKNOWN : (owner.vars.get(name) as StaticValue);
  }
  assign(name: string, value: StaticValue): void {
    (this.owner(name) ?? this).vars.set(name, value);
  }
}

export interface JavaScriptFacts {
  calls: HttpCall[];
  /** Property names read with `.name` or `["name"]` (e.g. `genResponse.generation_id`). */
  keysRead: Set<string>;
}

const isNode = (value: unknown): value is AnyNode =>
  typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";

/** Parses a script (or module) and reads its HTTP calls. Throws acorn's SyntaxError on code it cannot parse. */
export function readJavaScriptScript(source: string): JavaScriptFacts {
  let program: Program;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "script", allowAwaitOutsideFunction: true });
  } catch {
    program = parse(source, { ecmaVersion: "latest", sourceType: "module" });
  }
  const reader = new Reader();
  const top = new Scope(null, "(module)");
  // Top-level names first: functions declared above them use them when they run.
  for (const statement of program.body) {
    if (statement.type === "VariableDeclaration") {
      reader.declare(statement, top);
      reader.done.add(statement);
    }
  }
  reader.walk(program, top);
  return { calls: reader.calls, keysRead: reader.keysRead };
}

/** Evaluates one expression (a JSON-ish literal or a Node.js `console.log` rendering), or UNKNOWN. */
export function readJavaScriptExpression(text: string): StaticValue {
  try {
    const program = parse(`(${text}\n)`, { ecmaVersion: "latest", sourceType: "script" });
    const statement = program.body[0];
    if (program.body.length !== 1 || statement?.type !== "ExpressionStatement") return UNKNOWN;
    return new Reader().evaluate(statement.expression, new Scope(null, "(literal)"));
  } catch {
    return UNKNOWN;
  }
}

class Reader {
  readonly calls: HttpCall[] = [];
  readonly keysRead = new Set<string>();
  /** Statements already read (the top-level declarations). */
  readonly done = new Set<Node>();
  /** Each call node's value, so a node read twice makes one call. */
  private readonly seen = new Map<Node, StaticValue>();

  declare(declaration: AnyNode & { type: "VariableDeclaration" }, scope: Scope): void {
    for (const declarator of declaration.declarations) {
      const value = declarator.init ? this.evaluate(declarator.init, scope, nameOf(declarator.id)) : UNKNOWN;
      this.bind(declarator.id, value, scope);
    }
  }

  private bind(pattern: Pattern, value: StaticValue, scope: Scope): void {
    if (pattern.type === "Identifier") scope.vars.set(pattern.name, value);
    else if (pattern.type === "ObjectPattern") {
      for (const property of pattern.properties) {
        if (property.type === "Property" && !property.computed && property.key.type === "Identifier") {
          const inner = isPlainObject(value) ? (value[property.key.name] ?? UNKNOWN) : UNKNOWN;
          this.bind(property.value, inner, scope);
        }
      }
    }
  }

  /** Reads statements in source order; functions get their own scope. */
  walk(node: AnyNode, scope: Scope): void {
    if (this.done.has(node)) return;
    switch (node.type) {
      case "VariableDeclaration":
        this.declare(node, scope);
        return;
      case "FunctionDeclaration":
        this.walkFunction(node, scope, node.id?.name ?? "(function)");
        return;
      case "ExpressionStatement":
        this.evaluate(node.expression, scope);
        return;
      case "ReturnStatement":
        if (node.argument) this.evaluate(node.argument, scope);
        return;
      default:
        break;
    }
    if (isExpression(node)) {
      this.evaluate(node, scope);
      return;
    }
    // Blocks share their function's scope: these scripts never shadow a name inside a block.
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const item of value) if (isNode(item)) this.walk(item, scope);
      if (isNode(value)) this.walk(value, scope);
    }
  }

  private walkFunction(
    node: AnyNode & { type: "FunctionDeclaration" | "FunctionExpression" | "ArrowFunctionExpression" },
    scope: Scope,
    name: string,
  ): void {
    const own = new Scope(scope, name);
    if (node.body.type === "BlockStatement") this.walk(node.body, own);
    else this.evaluate(node.body, own);
  }

  evaluate(node: Expression | AnyNode, scope: Scope, name = ""): StaticValue {
    switch (node.type) {
      case "Literal":
        return typeof node.value === "string" ||
          typeof node.value === "number" ||
          typeof node.value === "boolean" ||
          node.value === null
          ? node.value
          : UNKNOWN;
      case "TemplateLiteral": {
        let text = "";
        node.quasis.forEach((quasi, index) => {
          text += quasi.value.cooked ?? HOLE;
          const expression = node.expressions[index];
          if (expression !== undefined) text += stringify(this.evaluate(expression, scope));
        });
        return text;
      }
      case "Identifier":
        return node.name === "undefined" ? UNKNOWN : scope.lookup(node.name);
      case "ObjectExpression": {
        const object: Record<string, StaticValue> = {};
        let known = true;
        for (const property of node.properties) {
          if (property.type === "SpreadElement" || property.computed || property.kind !== "init") {
            if (property.type === "SpreadElement") this.evaluate(property.argument, scope);
            known = false;
            continue;
          }
          const key =
            property.key.type === "Identifier"
              ? property.key.name
              : property.key.type === "Literal"
                ? String(property.key.value)
                : null;
          const value = this.evaluate(property.value, scope, key ?? "");
          if (key === null) known = false;
          else object[key] = value;
        }
        return known ? object : UNKNOWN;
      }
      case "ArrayExpression": {
        const items: StaticValue[] = [];
        let known = true;
        for (const element of node.elements) {
          if (element === null || element.type === "SpreadElement") {
            if (element !== null) this.evaluate(element.argument, scope);
            known = false;
          } else items.push(this.evaluate(element, scope));
        }
        return known ? items : UNKNOWN;
      }
      case "UnaryExpression": {
        const operand = this.evaluate(node.argument, scope);
        if (node.operator === "-" && typeof operand === "number") return -operand;
        if (node.operator === "+" && typeof operand === "number") return operand;
        return UNKNOWN;
      }
      case "BinaryExpression": {
        const left = node.left.type === "PrivateIdentifier" ? UNKNOWN : this.evaluate(node.left, scope);
        const right = this.evaluate(node.right, scope);
        if (node.operator === "+" && (typeof left === "string" || typeof right === "string")) {
          return stringify(left) + stringify(right);
        }
        return UNKNOWN;
      }
      case "MemberExpression":
        return this.member(node, scope);
      case "CallExpression":
        return this.call(node, scope);
      case "NewExpression":
        return this.construct(node, scope);
      case "AwaitExpression":
        return this.evaluate(node.argument, scope);
      case "AssignmentExpression": {
        const value = this.evaluate(node.right, scope);
        if (node.left.type === "Identifier") scope.assign(node.left.name, node.operator === "=" ? value : UNKNOWN);
        else if (node.left.type === "MemberExpression") this.member(node.left, scope);
        return value;
      }
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        this.walkFunction(node, scope, name || scope.name);
        return UNKNOWN;
      case "ChainExpression":
        return this.evaluate(node.expression, scope);
      case "SequenceExpression": {
        let value: StaticValue = UNKNOWN;
        for (const expression of node.expressions) value = this.evaluate(expression, scope);
        return value;
      }
      default:
        // Conditionals, logical operators, updates, …: read what is inside (calls, callbacks), know nothing.
        for (const value of Object.values(node)) {
          if (Array.isArray(value)) for (const item of value) if (isNode(item)) this.walk(item, scope);
          if (isNode(value)) this.walk(value, scope);
        }
        return UNKNOWN;
    }
  }

  private member(node: AnyNode & { type: "MemberExpression" }, scope: Scope): StaticValue {
    const object = node.object.type === "Super" ? UNKNOWN : this.evaluate(node.object, scope);
    const key =
      !node.computed && node.property.type === "Identifier"
        ? node.property.name
        : node.computed && node.property.type !== "PrivateIdentifier"
          ? this.evaluate(node.property, scope)
          : UNKNOWN;
    if (typeof key !== "string") return UNKNOWN;
    this.keysRead.add(key);
    if (object instanceof UrlValue) {
      if (key === "searchParams") return object;
      if (key === "href") return stringify(object);
      return UNKNOWN;
    }
    if (isPlainObject(object)) return object[key] ?? UNKNOWN;
    return UNKNOWN;
  }

  private call(node: AnyNode & { type: "CallExpression" }, scope: Scope): StaticValue {
    if (this.seen.has(node)) return this.seen.get(node) as StaticValue;
    const path = calleePath(node.callee);
    const args = node.arguments.map((argument) =>
      argument.type === "SpreadElement" ? UNKNOWN : this.evaluate(argument, scope),
    );
    let value: StaticValue = UNKNOWN;
    const target = node.callee.type === "MemberExpression" ? this.memberObject(node.callee, scope) : UNKNOWN;
    const method = path.at(-1) ?? "";
    if (path.join(".") === "JSON.stringify") value = new JsonText(args[0] ?? UNKNOWN);
    else if (path.length === 1 && method === "fetch") {
      const options = args[1];
      this.calls.push({
        scope: scope.name,
        method: methodOf(options) ?? "GET",
        ...urlOf(args[0] ?? UNKNOWN),
        body: bodyOf(isPlainObject(options) ? options["body"] : undefined),
      });
    } else if (path.length === 2 && (path[0] === "https" || path[0] === "http") && method === "request") {
      const call: HttpCall = { scope: scope.name, method: methodOf(args[1]) ?? "GET", ...urlOf(args[0] ?? UNKNOWN) };
      this.calls.push(call);
      value = new RequestHandle(call);
    } else if (target instanceof RequestHandle && (method === "write" || method === "end") && args[0] !== undefined) {
      target.call.body = bodyOf(args[0]);
    } else if (target instanceof UrlValue && (method === "append" || method === "set") && typeof args[0] === "string") {
      target.params.push(args[0]);
    } else if (target instanceof UrlValue && method === "toString") {
      value = path.at(-2) === "searchParams" ? queryOf(target) : stringify(target);
    } else if (method === "get" && typeof args[0] === "string") {
      this.keysRead.add(args[0]);
    }
    this.seen.set(node, value);
    return value;
  }

  /** The object a method is called on (`req` of `req.write(…)`, `url.searchParams` of `….append(…)`). */
  private memberObject(callee: AnyNode & { type: "MemberExpression" }, scope: Scope): StaticValue {
    return callee.object.type === "Super" ? UNKNOWN : this.evaluate(callee.object, scope);
  }

  private construct(node: AnyNode & { type: "NewExpression" }, scope: Scope): StaticValue {
    const args = node.arguments.map((argument) =>
      argument.type === "SpreadElement" ? UNKNOWN : this.evaluate(argument, scope),
    );
    const name = node.callee.type === "Identifier" ? node.callee.name : "";
    if (name === "URL" && typeof args[0] === "string") {
      const base = typeof args[1] === "string" ? args[1] : undefined;
      try {
        return new UrlValue(base === undefined ? args[0] : new URL(args[0], base).href);
      } catch {
        return new UrlValue(args[0]);
      }
    }
    if (name === "URLSearchParams") {
      return new UrlValue("", isPlainObject(args[0]) ? Object.keys(args[0]) : []);
    }
    return UNKNOWN;
  }
}

const EXPRESSION_TYPES = new Set([
  "Identifier",
  "Literal",
  "TemplateLiteral",
  "ObjectExpression",
  "ArrayExpression",
  "CallExpression",
  "NewExpression",
  "MemberExpression",
  "AwaitExpression",
  "AssignmentExpression",
  "FunctionExpression",
  "ArrowFunctionExpression",
  "ChainExpression",
  "SequenceExpression",
  "BinaryExpression",
  "UnaryExpression",
  "LogicalExpression",
  "ConditionalExpression",
]);
const isExpression = (node: AnyNode): boolean => EXPRESSION_TYPES.has(node.type);

function nameOf(pattern: Pattern): string {
  return pattern.type === "Identifier" ? pattern.name : "";
}

/** `a.b.c(…)` → ["a", "b", "c"]; anything that is not a chain of names → the names it ends with. */
function calleePath(callee: AnyNode): string[] {
  if (callee.type === "Identifier") return [callee.name];
  if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier") {
    const object = callee.object.type === "Super" ? [] : calleePath(callee.object);
    return [...(object.length > 0 ? object : ["?"]), callee.property.name];
  }
  return [];
}

function methodOf(options: StaticValue | undefined): "POST" | "GET" | null {
  const method = isPlainObject(options) ? options["method"] : undefined;
  if (typeof method !== "string") return null;
  const upper = method.toUpperCase();
  return upper === "POST" || upper === "GET" ? upper : null;
}

/** A request body: the value a `JSON.stringify(…)` text was made from. */
function bodyOf(value: StaticValue | undefined): StaticValue | undefined {
  if (value === undefined) return undefined;
  return value instanceof JsonText ? value.value : UNKNOWN;
}

function queryOf(url: UrlValue): string {
  return url.params.map((name) => `${name}=${HOLE}`).join("&");
}

/** A value as a template string would print it (unknown parts as HOLE). */
function stringify(value: StaticValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (value instanceof UrlValue) {
    if (value.href === "") return queryOf(value);
    return value.params.length > 0 ? `${value.href}?${queryOf(value)}` : value.href;
  }
  return HOLE;
}
