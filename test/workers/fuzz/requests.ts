/**
 * Requests for the fuzz of every route (routes.test.ts), as fast-check
 * arbitraries built from the route's entry in /openapi.json: its path
 * parameters, query parameters, header parameters and whether it takes a
 * body. Values mix what the relay takes (known ids, model ids, each model's
 * own fields and their allowed values, from GET /v1/models) with what it must
 * refuse (malformed escapes, wrong types, lone surrogates, huge or deeply
 * nested values, garbage bytes), so a fuzzed request reaches past the first
 * check as often as it stops there.
 *
 * Bodies are JSON *text* (so `__proto__`, duplicate keys, 1e400 and 10,000
 * levels of nesting can be written); PROMPT in a body is replaced by a prompt
 * unique to the request when it is sent.
 */
import fc from "fast-check";

/** One operation of /openapi.json. */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: string[];
  headers: string[];
  hasBody: boolean;
}

/** What the arbitraries draw from, read from the relay before the fuzz. */
export interface FuzzContext {
  clientKey: string;
  /** A generation of the fuzz client's, completed, with its video stored and a webhook. */
  knownId: string;
  /** Its signed video link's query values. */
  knownExpires: string;
  knownSignature: string;
  models: { id: string; inputs: JsonSchema }[];
  /** The local webhook receiver: the only webhook host an accepted create may name. */
  receiverUrl: string;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, from the origin. */
  target: string;
  headers: [name: string, value: string][];
  body: string | Uint8Array | null;
}

export type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  required?: string[];
  maxLength?: number;
  "x-media"?: string[];
};

export const PROMPT = "\u27e6prompt\u27e7";

const IMAGE_URL = "https://media.example.com/cat.png";
const TINY_PNG = "data:image/png;base64,iVBORw0KGgo=";

/** Lone surrogates as U+FFFD, then percent-encoded: any string as a URL component. */
const percentEncode = (text: string): string => encodeURIComponent(text.replace(/\p{Cs}/gu, "\ufffd"));

const unissuedId = fc
  .array(fc.constantFrom(..."0123456789abcdefghjkmnpqrstvwxyz"), { minLength: 42, maxLength: 42 })
  .map((chars) => `gen_${chars.join("")}`);

const longText = (min: number, max: number) => fc.integer({ min, max }).map((n) => "a".repeat(n));

/** A header value: printable ASCII (workerd sends other Latin-1 as UTF-8, with a warning each time). */
const headerValue = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 40,
    }),
  },
  { weight: 1, arbitrary: longText(200, 9_000) },
);

/** JSON text the relay must cope with wherever a value goes. */
const nastyJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map((text) => JSON.stringify(text)) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "1e400",
      "-1e400",
      "-0",
      "1e-400",
      "123456789012345678901234567890",
      '"\\ud800"',
      '"\\udfff\\ud800"',
      '"\\u0000"',
      '""',
      '" "',
      "null",
      "true",
      "[]",
      "{}",
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '"data:"',
      '"data:image/png;base64,"',
      '"data:image/png;base64,@@@@"',
      '"data:image/png;base64,AAA"',
      '"data:;base64,AAAA"',
      '"data:image/png,raw"',
      '"DATA:IMAGE/PNG;BASE64,iVBORw0KGgo="',
      '"javascript:alert(1)"',
      '"https://[::1]/x.png"',
      '"http://169.254.169.254/latest/meta-data"',
      '"https://user:pass@media.example.com/x.png"',
      '"https://media.example.com/%zz.png"',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => JSON.stringify("x".repeat(n))) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 60_000 }).map((n) => JSON.stringify(`data:image/png;base64,${"A".repeat(n)}`)),
  },
  { weight: 1, arbitrary: deepJson() },
);

/** A value nested `levels` deep (objects or arrays), as text. */
function deepJson(): fc.Arbitrary<string> {
  return fc
    .record({ levels: fc.integer({ min: 60, max: 12_000 }), arrays: fc.boolean() })
    .map(({ levels, arrays }) =>
      arrays ? "[".repeat(levels) + "]".repeat(levels) : '{"a":'.repeat(levels - 1) + "{}" + "}".repeat(levels - 1),
    );
}

/** A value the schema takes: one of its allowed values, within its bounds, media of the right kind. */
function strictValue(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((alternative) => strictValue(alternative, depth)));
  }
  switch (schema.type) {
    case "string": {
      const media = schema["x-media"]?.[0];
      if (media === "video") return fc.constantFrom("https://media.example.com/clip.mp4", "data:video/mp4;base64,AAAA");
      if (media === "audio")
        return fc.constantFrom("https://media.example.com/voice.mp3", "data:audio/mpeg;base64,AAAA");
      if (media !== undefined) return fc.constantFrom(IMAGE_URL, TINY_PNG);
      return fc.constant("A raccoon eats ice cream".slice(0, schema.maxLength ?? 100));
    }
    case "integer":
    case "number": {
      const min = Math.max(schema.minimum ?? 0, -1e6);
      const max = Math.min(schema.maximum ?? min + 10, 1e6);
      return schema.type === "integer"
        ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
        : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case "boolean":
      return fc.boolean();
    case "array":
      if (depth <= 0 || schema.items === undefined) return fc.constant([]);
      return fc.array(strictValue(schema.items, depth - 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 2, 2)),
      });
    case "object":
      if (depth <= 0) return fc.constant({});
      return objectOf(schema, (sub) => strictValue(sub, depth - 1)).map((entries) => Object.fromEntries(entries));
    default:
      return fc.constant(null);
  }
}

/** Values just outside what the schema takes (or anything): one past a bound, the wrong type, too long. */
function nearValue(schema: JsonSchema): fc.Arbitrary<string> {
  const bounds = [schema.minimum, schema.maximum].filter((n): n is number => n !== undefined);
  const near: unknown[] = [
    ...bounds.map((n) => n + 1),
    ...bounds.map((n) => n - 1),
    0.5,
    -1,
    "",
    " ",
    "x".repeat((schema.maxLength ?? 2_000) + 1),
    [],
    {},
    ...(schema.maxItems === undefined ? [] : [Array.from({ length: schema.maxItems + 1 }, () => IMAGE_URL)]),
  ];
  return fc.oneof(
    fc.constantFrom(...near).map((value) => JSON.stringify(value)),
    nastyJson,
  );
}

/** The schema's required properties and some optional ones, each with its value. */
function objectOf(schema: JsonSchema, value: (sub: JsonSchema) => fc.Arbitrary<unknown>) {
  const entries = Object.entries(schema.properties ?? {});
  const required = entries.filter(([name]) => schema.required?.includes(name) === true);
  const optional = entries.filter(([name]) => schema.required?.includes(name) !== true);
  return fc
    .subarray(optional, { maxLength: Math.min(3, optional.length) })
    .chain((chosen) =>
      fc.tuple(...[...required, ...chosen].map(([name, sub]) => value(sub).map((v): [string, unknown] => [name, v]))),
    );
}

/** A change that (most likely) makes a valid body invalid. */
type Mutation =
  | { kind: "replace"; index: number; value: string }
  | { kind: "drop"; index: number }
  | { kind: "add"; name: string; value: string };

/**
 * A create body for one model of the catalogue, as entries of JSON text: the
 * model, a prompt, the model's required fields and some optional ones with
 * values it takes, the relay's own fields, then 0 to 3 mutations (a value
 * replaced by one just outside the rules or by anything, a field dropped, a
 * field added). A body without mutations is usually valid, so the fuzz also
 * goes past validation: the webhook policy, data: URIs, the create rate,
 * idempotency, the active limit.
 */
function createBody(context: FuzzContext): fc.Arbitrary<string> {
  return fc.constantFrom(...context.models).chain((model) => {
    const inputs = { ...model.inputs, properties: { ...model.inputs.properties } };
    delete inputs.properties["prompt"];
    const base = fc.tuple(
      objectOf(inputs, (sub) => strictValue(sub, 3)),
      fc.option(fc.constantFrom(`"${context.receiverUrl}/hook/fuzz/200"`, '"https://[::1]:9/hook"'), {
        nil: null,
        freq: 3,
      }),
      fc.option(fc.constantFrom('["completed"]', '["started","failed"]', "[]"), { nil: null, freq: 3 }),
      fc.option(fc.constantFrom("{}", '{"order":17}', `{"note":"${"m".repeat(1_000)}"}`), { nil: null, freq: 3 }),
    );
    return fc
      .tuple(base, fc.array(mutation(model.inputs), { maxLength: 3 }), fc.boolean())
      .map(([[fields, webhookUrl, webhookEvents, metadata], mutations, withPrompt]) => {
        const entries: [string, string][] = [["model", JSON.stringify(model.id)]];
        if (withPrompt || model.inputs.required?.includes("prompt") === true) {
          entries.push(["prompt", JSON.stringify(PROMPT)]);
        }
        for (const [name, value] of fields) entries.push([name, JSON.stringify(value)]);
        if (webhookUrl !== null) entries.push(["webhook_url", webhookUrl]);
        if (webhookEvents !== null) entries.push(["webhook_events", webhookEvents]);
        if (metadata !== null) entries.push(["metadata", metadata]);
        for (const change of mutations) {
          const at = change.kind === "add" ? -1 : change.index % entries.length;
          if (change.kind === "replace") entries[at] = [entries[at]?.[0] ?? "", change.value];
          else if (change.kind === "drop") entries.splice(at, 1);
          else entries.push([change.name, change.value]);
        }
        return `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${noRemoteWebhook(name, value)}`).join(",")}}`;
      });
  });
}

/**
 * An accepted create may name this machine's hosts only (tests reach no
 * other; private hosts are allowed in the test projects): a webhook_url that
 * names one of the example hosts becomes one the policy refuses.
 */
const noRemoteWebhook = (name: string, value: string): string =>
  name === "webhook_url" && value.includes("example.") ? '"ftp://hooks.example.com/"' : value;

function mutation(inputs: JsonSchema): fc.Arbitrary<Mutation> {
  const properties = Object.values(inputs.properties ?? {});
  const near = properties.length === 0 ? nastyJson : fc.constantFrom(...properties).chain(nearValue);
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("replace" as const), index: fc.nat(), value: near }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), index: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        name: fieldName,
        value: fc.oneof(nastyJson, webhookUrlRefused, webhookEventsAny),
      }),
    },
  );
}

/** webhook_url values the policy refuses (none reaches a host beyond this machine). */
const webhookUrlRefused = fc.constantFrom(
  '"ftp://hooks.example.com/"',
  '"javascript:alert(1)"',
  '"http://169.254.169.254/latest/meta-data"',
  '"https://"',
  '"hooks"',
  "42",
);
const webhookEventsAny = fc.constantFrom('["bogus"]', '"completed"', '["completed","completed"]', "[1]");

const fieldName = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "input",
    "prompt",
    "model",
    "",
    " ",
    "metadata",
    "webhook_events",
  ),
  fc.string({ unit: "binary", maxLength: 12 }),
);

/** Any body a create route may be sent. */
function createRouteBody(context: FuzzContext): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    { weight: 8, arbitrary: createBody(context) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.string({ unit: "binary", maxLength: 60 }),
        fc.constantFrom(
          "",
          "{",
          "{}",
          "null",
          "[]",
          "\ufeff{}",
          '{"prompt":',
          '{"a":1}}',
          "{'prompt':'x'}",
          '{"prompt":"x",}',
          "{}{}",
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom("metadata", "prompt", "image_list", "x", "input"), deepJson())
        .map(([field, value]) => `{"prompt":${JSON.stringify(PROMPT)},${JSON.stringify(field)}:${value}}`),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 60_000, max: 200_000 })
        .map(
          (n) => `{"prompt":${JSON.stringify(PROMPT)},"image_url":"data:image/png;base64,${"A".repeat(n - (n % 4))}"}`,
        ),
    },
  );
}

/** A path parameter: the known generation, model ids, well-formed unknown ids, and malformed text. */
function pathValue(context: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(context.knownId) },
    { weight: 2, arbitrary: fc.constantFrom(...context.models.map((model) => model.id)) },
    { weight: 1, arbitrary: fc.constantFrom(...context.models.map((model) => percentEncode(model.id))) },
    { weight: 2, arbitrary: unissuedId },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "",
        "%",
        "%zz",
        "%E0%A4%A",
        "%00",
        "%FF",
        "..",
        ".",
        "%2e%2e",
        "%2F",
        "a%2Fb",
        "gen_",
        "GEN_x",
        "%F0%9F%98%80",
        "%ED%A0%80",
      ),
    },
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(percentEncode) },
    { weight: 1, arbitrary: longText(100, 20_000) },
  );
}

function queryValue(context: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(
          "",
          "true",
          "false",
          "TRUE",
          "0",
          "1",
          "-1",
          "20",
          "100",
          "101",
          "1000",
          "1001",
          "1e3",
          "1.5",
          "NaN",
          "Infinity",
          "-0",
          "0x10",
          " 1",
          "99999999999999999999",
          "2026-08-01",
          "2026-08-01T00:00:00Z",
          "2026-13-45T99:99:99+25:00",
          "queued",
          "completed",
          "bogus",
        )
        .map(percentEncode),
    },
    { weight: 2, arbitrary: fc.constantFrom(context.knownId, context.knownExpires, context.knownSignature) },
    { weight: 1, arbitrary: fc.constantFrom(`${context.knownSignature}x`, `${Number(context.knownExpires) + 1}`) },
    { weight: 1, arbitrary: unissuedId },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "%FF%FE") },
    { weight: 1, arbitrary: longText(100, 10_000) },
  );
}

function queryPart(operation: Operation, context: FuzzContext): fc.Arbitrary<string> {
  const declared = operation.query.map((name) =>
    fc
      .option(fc.array(queryValue(context), { minLength: 1, maxLength: 2 }), { nil: null, freq: 2 })
      .map((values) => (values ?? []).map((value) => `${name}=${value}`)),
  );
  const extra = fc.option(
    fc.oneof(
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
        .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`),
      fc.constantFrom("%zz", "=x", "a=%", "limit", "&&", "purge", "generation_id"),
    ),
    { nil: null, freq: 4 },
  );
  return fc.tuple(fc.tuple(...declared), extra).map(([pairs, more]) => {
    const parts = [...pairs.flat(), ...(more === null ? [] : [more])];
    return parts.length === 0 ? "" : `?${parts.join("&")}`;
  });
}

function authorization(context: FuzzContext): fc.Arbitrary<string | null> {
  const key = context.clientKey;
  return fc.oneof(
    { weight: 20, arbitrary: fc.constant(`Bearer ${key}`) },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "Bearer",
        "Bearer ",
        "Basic YWxpY2U6",
        `bearer ${key}`,
        `Bearer  ${key}  `,
        `Bearer ${key}x`,
        `Bearer ${key} ${key}`,
        `Token ${key}`,
      ),
    },
    { weight: 1, arbitrary: headerValue },
  );
}

const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant<string | null>("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | null>(
      null,
      "application/json; charset=utf-8",
      "application/merge-patch+json",
      "APPLICATION/JSON",
      "application/jsonx",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "",
    ),
  },
  { weight: 1, arbitrary: headerValue },
);

/** Headers beyond auth and content type: the route's own, and some any route may be sent. */
function otherHeaders(operation: Operation): fc.Arbitrary<[string, string][]> {
  const declared = operation.headers.map((name) =>
    fc.option(
      fc
        .oneof(headerValue, fc.constantFrom("fuzz-replay-1", "fuzz-replay-2"))
        .map((value): [string, string] => [name, value]),
      { nil: null, freq: 2 },
    ),
  );
  const any = fc.array(
    fc.tuple(
      fc.constantFrom(
        "Range",
        "If-None-Match",
        "If-Range",
        "Accept",
        "Content-Encoding",
        "X-Forwarded-For",
        "Origin",
        "Cookie",
        "Expect",
      ),
      fc.oneof(
        fc.constantFrom(
          "bytes=0-18446744073709551616",
          "bytes=--1",
          "bytes=1-2-3",
          "bytes=-",
          "bytes=",
          "items=0-1",
          "bytes=0-1,",
          "bytes= 0-1",
          '"etag"',
          'W/"x"',
          "bytes=0-9",
          "bytes=-1",
          "bytes=5-",
          "bytes=9-0",
          "bytes=0-0,2-3",
          "bytes=abc",
          "gzip",
          "br",
          "*",
          "100-continue",
        ),
        headerValue,
      ),
    ),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...declared), any)
    .map(([own, more]) => [...own.filter((h): h is [string, string] => h !== null), ...more]);
}

/** Requests for one operation. */
/**
 * Bodies for `POST /v1/webhooks/test`, which sends one request to the `url`
 * it is given: only the local receiver or URLs the policy refuses, so no
 * request leaves this machine, mixed with bodies of other shapes.
 */
function webhookTestBody(context: FuzzContext): fc.Arbitrary<string | Uint8Array | null> {
  const url = fc.oneof(fc.constant(`"${context.receiverUrl}/hook/fuzz/200"`), webhookUrlRefused);
  return fc.oneof(
    url.map((value) => `{"url":${value}}`),
    url.map((value) => `{"url":${value},"extra":1}`),
    fc.constantFrom("{}", "[]", '{"url":null}', "{", '{"url":"x"'),
  );
}

export function requestsFor(operation: Operation, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const params = fc.tuple(...operation.pathParams.map(() => pathValue(context)));
  const body: fc.Arbitrary<string | Uint8Array | null> = operation.hasBody
    ? operation.path === "/v1/webhooks/test"
      ? webhookTestBody(context)
      : createRouteBody(context)
    : operation.method === "get"
      ? fc.constant(null)
      : fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.constant('{"purge":true}')), { nil: null, freq: 3 });
  return fc
    .record({
      params,
      query: queryPart(operation, context),
      auth: authorization(context),
      type: contentType,
      headers: otherHeaders(operation),
      body,
    })
    .map(({ params, query, auth, type, headers, body }) => {
      let path = operation.path;
      operation.pathParams.forEach((name, index) => (path = path.replace(`{${name}}`, params[index] ?? "")));
      const all: [string, string][] = [...headers];
      if (auth !== null) all.push(["Authorization", auth]);
      if (body !== null && type !== null) all.push(["Content-Type", type]);
      return { method: operation.method.toUpperCase(), target: `${path}${query}`, headers: all, body };
    });
}
