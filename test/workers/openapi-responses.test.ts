/**
 * Each route answers only what it declares: for a success and for each error
 * it can give, the status is one of the route's declared responses, the
 * Content-Type one of that response's media types, and a JSON body parses
 * with the zod schema taken from the route's own `createRoute` declaration
 * (nothing more, nothing less: unknown keys would be stripped and show up).
 */
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { app } from "../../src/app.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { compatRoutes } from "../../src/routes/compat.ts";
import {
  cancelGenerationRoute,
  createGenerationRoute,
  getGenerationRoute,
  listEventsRoute,
  listGenerationsRoute,
  redeliverWebhookRoute,
} from "../../src/routes/generations.ts";
import { getModelRoute, listModelsRoute } from "../../src/routes/models.ts";
import { docsRoute, healthRoute, playgroundRoute } from "../../src/routes/pages.ts";
import { streamGenerationRoute } from "../../src/routes/stream.ts";
import { getUsageRoute } from "../../src/routes/usage.ts";
import { getVideoRoute } from "../../src/routes/video.ts";
import { getWebhookSecretRoute, testWebhookRoute } from "../../src/routes/webhooks.ts";
import { TEST_CLIENT_KEYS } from "../support/constants.ts";
import {
  call,
  create,
  get,
  isStatus,
  ORIGIN,
  postJson,
  stepUntil,
  stubOf,
  uniquePrompt,
  unissuedId,
} from "./helpers.ts";

interface DeclaredRoute {
  responses: Record<string | number, { description: string; content?: Record<string, { schema?: unknown }> }>;
}

/** Asserts that the response is one the route declares, body included; returns its status. */
async function expectDeclared(route: DeclaredRoute, response: Response): Promise<number> {
  const declared = route.responses[response.status];
  const text = await response.text();
  if (declared === undefined) throw new Error(`undeclared status ${response.status}: ${text.slice(0, 300)}`);
  const mediaType = (response.headers.get("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
  if (declared.content === undefined) {
    expect(text, `${response.status} declares no body`).toBe("");
    return response.status;
  }
  const media = declared.content[mediaType];
  expect(
    media,
    `${response.status} declares ${Object.keys(declared.content).join(", ")}, got ${mediaType}`,
  ).toBeDefined();
  const schema = media?.schema;
  if (schema instanceof z.ZodType) {
    const body: unknown = mediaType === "application/json" ? JSON.parse(text) : text;
    const parsed = schema.safeParse(body);
    expect(parsed.error?.issues ?? [], text.slice(0, 300)).toEqual([]);
    expect(parsed.data, "the body has fields its schema does not declare").toEqual(body);
  }
  return response.status;
}

/** Calls the app with some bindings changed (a missing key list, a lower active limit). */
async function callWith(bindings: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A client of its own with an active limit of one, for a 429. */
function limitedClient(): { bindings: Partial<Env>; headers: Record<string, string> } {
  const key = `limited-${crypto.randomUUID()}`;
  return {
    bindings: { RELAY_API_KEYS: `limited-${crypto.randomUUID()}:${key}`, MAX_ACTIVE_PER_KEY: "1" },
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
  };
}

const NOT_CONFIGURED = { RELAY_API_KEYS: "" };
/** No upstream for new generations: no AIMLAPI_KEY, no SIMULATOR=true. */
const NO_UPSTREAM = { AIMLAPI_KEY: "", SIMULATOR: "" };
const aliceJson = { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" };
const jsonHeaders = { "Content-Type": "application/json" };
const oversized = () => JSON.stringify({ prompt: uniquePrompt(), metadata: { pad: "x".repeat(64 * 1024) } });

/** Runs every case: the expected status, then the declaration check. */
async function expectAll(route: DeclaredRoute, cases: [status: number, response: () => Promise<Response>][]) {
  for (const [status, response] of cases) {
    const answered = await response();
    expect(answered.status, `expected ${status}`).toBe(status);
    await expectDeclared(route, answered);
  }
}

describe("the native API answers what it declares", () => {
  it("POST /v1/generations", async () => {
    const key = crypto.randomUUID();
    const prompt = uniquePrompt();
    const limited = limitedClient();
    await expectAll(createGenerationRoute, [
      [202, () => postJson("/v1/generations", { prompt }, { headers: { "Idempotency-Key": key } })],
      [200, () => postJson("/v1/generations", { prompt }, { headers: { "Idempotency-Key": key } })],
      [400, () => postJson("/v1/generations", { prompt: "" })],
      [400, () => postJson("/v1/generations", "{not json")],
      [401, () => postJson("/v1/generations", { prompt }, { as: null })],
      [413, () => postJson("/v1/generations", oversized())],
      [415, () => postJson("/v1/generations", "prompt=x", { headers: { "Content-Type": "text/plain" } })],
      [422, () => postJson("/v1/generations", { prompt: `${prompt}!` }, { headers: { "Idempotency-Key": key } })],
      [
        202,
        () =>
          callWith(limited.bindings, "/v1/generations", {
            method: "POST",
            headers: limited.headers,
            body: JSON.stringify({ prompt: uniquePrompt() }),
          }),
      ],
      [
        429,
        () =>
          callWith(limited.bindings, "/v1/generations", {
            method: "POST",
            headers: limited.headers,
            body: JSON.stringify({ prompt: uniquePrompt() }),
          }),
      ],
      [503, () => callWith(NOT_CONFIGURED, "/v1/generations", { method: "POST", headers: jsonHeaders, body: "{}" })],
      [
        503,
        () =>
          callWith(NO_UPSTREAM, "/v1/generations", {
            method: "POST",
            headers: aliceJson,
            body: JSON.stringify({ prompt: uniquePrompt() }),
          }),
      ],
    ]);
  });

  it("GET /v1/generations", async () => {
    await create({ prompt: uniquePrompt() });
    await expectAll(listGenerationsRoute, [
      [200, () => call("/v1/generations?limit=2")],
      [400, () => call("/v1/generations?limit=0")],
      [401, () => call("/v1/generations", { as: null })],
      [503, () => callWith(NOT_CONFIGURED, "/v1/generations")],
    ]);
  });

  it("GET /v1/generations/{id}", async () => {
    const { id } = await create({ prompt: uniquePrompt() });
    await expectAll(getGenerationRoute, [
      [200, () => call(`/v1/generations/${id}`)],
      [401, () => call(`/v1/generations/${id}`, { as: null })],
      [404, () => call(`/v1/generations/${id}`, { as: "bob" })],
      [404, () => call(`/v1/generations/${unissuedId()}`)],
      [404, () => call("/v1/generations/not-an-id")],
      [503, () => callWith(NOT_CONFIGURED, `/v1/generations/${id}`)],
    ]);
  });

  it("DELETE /v1/generations/{id}", async () => {
    const { id } = await create({ prompt: uniquePrompt() });
    await expectAll(cancelGenerationRoute, [
      [401, () => call(`/v1/generations/${id}`, { method: "DELETE", as: null })],
      [404, () => call(`/v1/generations/${id}`, { method: "DELETE", as: "bob" })],
      [404, () => call("/v1/generations/not-an-id", { method: "DELETE" })],
      [200, () => call(`/v1/generations/${id}`, { method: "DELETE" })],
      [409, () => call(`/v1/generations/${id}`, { method: "DELETE" })],
      [400, () => call(`/v1/generations/${id}?purge=1`, { method: "DELETE" })],
      [404, () => call(`/v1/generations/${id}?purge=true`, { method: "DELETE", as: "bob" })],
      [200, () => call(`/v1/generations/${id}?purge=true`, { method: "DELETE" })],
      [404, () => call(`/v1/generations/${id}?purge=true`, { method: "DELETE" })],
      [404, () => call(`/v1/generations/${id}`, { method: "DELETE" })],
      [503, () => callWith(NOT_CONFIGURED, `/v1/generations/${id}`, { method: "DELETE" })],
    ]);
  });

  it("GET /v1/usage", async () => {
    await create({ prompt: uniquePrompt() });
    await expectAll(getUsageRoute, [
      [200, () => call("/v1/usage")],
      [200, () => call("/v1/usage?since=2026-01-01T00:00:00Z")],
      [400, () => call("/v1/usage?since=yesterday")],
      [401, () => call("/v1/usage", { as: null })],
      [503, () => callWith(NOT_CONFIGURED, "/v1/usage")],
    ]);
  });

  it("GET /v1/generations/{id}/events", async () => {
    const { id } = await create({ prompt: uniquePrompt(), metadata: { order: 7, tags: ["a", null] } });
    await expectAll(listEventsRoute, [
      [200, () => call(`/v1/generations/${id}/events`)],
      [401, () => call(`/v1/generations/${id}/events`, { as: null })],
      [404, () => call(`/v1/generations/${unissuedId()}/events`)],
      [503, () => callWith(NOT_CONFIGURED, `/v1/generations/${id}/events`)],
    ]);
  });

  it("POST /v1/generations/{id}/webhook/redeliver", async () => {
    const hook = `${inject("receiverUrl")}/hook/${crypto.randomUUID()}/200`;
    const { id } = await create({ prompt: uniquePrompt(), webhook_url: hook });
    const redeliver = (init: { as?: "alice" | "bob" | null } = {}) =>
      call(`/v1/generations/${id}/webhook/redeliver`, { method: "POST", ...init });
    await expectAll(redeliverWebhookRoute, [[409, () => redeliver()]]);
    expect((await call(`/v1/generations/${id}`, { method: "DELETE" })).status).toBe(200);
    // The canceled event is delivered first; a redelivery is for a message that has settled.
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stubOf(id));
        const generation: Generation = await get(id);
        if (generation.webhook?.state !== "delivered") throw new Error(`webhook ${generation.webhook?.state}`);
      },
      { timeout: 15_000, interval: 50 },
    );
    await expectAll(redeliverWebhookRoute, [
      [202, () => redeliver()],
      [401, () => redeliver({ as: null })],
      [404, () => redeliver({ as: "bob" })],
      [503, () => callWith(NOT_CONFIGURED, `/v1/generations/${id}/webhook/redeliver`, { method: "POST" })],
    ]);
  });

  it("GET /v1/generations/{id}/stream", async () => {
    const { id } = await create({ prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${id}`, { method: "DELETE" })).status).toBe(200);
    await expectAll(streamGenerationRoute, [
      // Canceled, so the stream replays the history and closes.
      [200, () => call(`/v1/generations/${id}/stream`)],
      [401, () => call(`/v1/generations/${id}/stream`, { as: null })],
      [404, () => call(`/v1/generations/${id}/stream`, { as: "bob" })],
      [503, () => callWith(NOT_CONFIGURED, `/v1/generations/${id}/stream`)],
    ]);
  });
});

describe("the video answers what it declares", () => {
  const SIZE = 4096;
  let generation: Generation;
  beforeAll(async () => {
    const created = await create({ prompt: uniquePrompt(`size=${SIZE}`) });
    await stepUntil(created.id, isStatus("completed"));
    generation = await get(created.id);
  });

  it("GET /v1/generations/{id}/video", async () => {
    const path = `/v1/generations/${generation.id}/video`;
    const signed = new URL(generation.video?.url ?? "");
    const tampered = `${signed.pathname}?expires=${signed.searchParams.get("expires")}&signature=${"A".repeat(43)}`;
    const pending = await create({ prompt: uniquePrompt() });
    await expectAll(getVideoRoute, [
      [200, () => call(path)],
      [200, () => call(`${signed.pathname}${signed.search}`, { as: null })],
      [206, () => call(path, { headers: { Range: "bytes=0-9" } })],
      [304, () => call(path, { headers: { "If-None-Match": `"${generation.video?.sha256}"` } })],
      [401, () => call(path, { as: null })],
      [403, () => call(tampered, { as: null })],
      [404, () => call(path, { as: "bob" })],
      [404, () => call(`/v1/generations/${pending.id}/video`)],
      [416, () => call(path, { headers: { Range: `bytes=${SIZE}-` } })],
      [503, () => callWith(NOT_CONFIGURED, path)],
    ]);
  });
});

describe.each(compatRoutes.flatMap((routes) => routes.paths.map((path) => [path, routes] as const)))(
  "the compatible API on /v2%s answers what it declares",
  (path, routes) => {
    const v2 = `/v2${path}`;

    it("POST", async () => {
      const key = crypto.randomUUID();
      const prompt = uniquePrompt();
      const limited = limitedClient();
      const send = (body: unknown, init: RequestInit & { as?: null } = {}) => postJson(v2, body, init);
      await expectAll(routes.create, [
        [201, () => send({ prompt }, { headers: { "Idempotency-Key": key } })],
        [201, () => send({ prompt }, { headers: { "Idempotency-Key": key } })],
        [400, () => send({ prompt: "" })],
        [401, () => send({ prompt }, { as: null })],
        [413, () => send(oversized())],
        [415, () => send("prompt=x", { headers: { "Content-Type": "text/plain" } })],
        [422, () => send({ prompt: `${prompt}!` }, { headers: { "Idempotency-Key": key } })],
        [
          201,
          () =>
            callWith(limited.bindings, v2, {
              method: "POST",
              headers: limited.headers,
              body: JSON.stringify({ prompt: uniquePrompt() }),
            }),
        ],
        [
          429,
          () =>
            callWith(limited.bindings, v2, {
              method: "POST",
              headers: limited.headers,
              body: JSON.stringify({ prompt: uniquePrompt() }),
            }),
        ],
        [503, () => callWith(NOT_CONFIGURED, v2, { method: "POST", headers: jsonHeaders, body: "{}" })],
        [
          503,
          () =>
            callWith(NO_UPSTREAM, v2, {
              method: "POST",
              headers: aliceJson,
              body: JSON.stringify({ prompt: uniquePrompt() }),
            }),
        ],
      ]);
    });

    it("GET ?generation_id=", async () => {
      const { id } = await create({ prompt: uniquePrompt() });
      await expectAll(routes.status, [
        [200, () => call(`${v2}?generation_id=${id}`)],
        [400, () => call(v2)],
        [400, () => call(`${v2}?generation_id=`)],
        [401, () => call(`${v2}?generation_id=${id}`, { as: null })],
        [404, () => call(`${v2}?generation_id=${id}`, { as: "bob" })],
        [404, () => call(`${v2}?generation_id=not-an-id`)],
        [503, () => callWith(NOT_CONFIGURED, `${v2}?generation_id=${id}`)],
      ]);
    });
  },
);

describe("the compatible API's templated vendor path", () => {
  const vendorRoutes = compatRoutes.find((routes) => routes.paths.length > 1);
  if (vendorRoutes === undefined) throw new Error("no templated vendor route");

  it("answers 404 for a vendor the upstream does not document, key or no key, and declares it", async () => {
    const path = "/v2/generate/video/nobody/generation";
    await expectAll(vendorRoutes.create, [
      [404, () => postJson(path, { prompt: uniquePrompt() })],
      [404, () => postJson(path, { prompt: uniquePrompt() }, { as: null })],
    ]);
    await expectAll(vendorRoutes.status, [[404, () => call(`${path}?generation_id=${unissuedId()}`)]]);
  });
});

describe("the webhook test send answers what it declares", () => {
  it("POST /v1/webhooks/test", async () => {
    const url = `${inject("receiverUrl")}/hook/${crypto.randomUUID()}/500`;
    const send = (body: unknown, init: RequestInit & { as?: null } = {}) => postJson("/v1/webhooks/test", body, init);
    await expectAll(testWebhookRoute, [
      [200, () => send({ url: `${inject("receiverUrl")}/hook/${crypto.randomUUID()}/200` })],
      [200, () => send({ url })],
      [200, () => send({ url: "http://127.0.0.1:9/hook" })],
      [400, () => send({})],
      [400, () => send({ url: "ftp://example.com/hook" })],
      [401, () => send({ url }, { as: null })],
      [413, () => send({ url, pad: "x".repeat(64 * 1024) })],
      [415, () => send("url=x", { headers: { "Content-Type": "text/plain" } })],
      [503, () => callWith(NOT_CONFIGURED, "/v1/webhooks/test", { method: "POST", headers: jsonHeaders, body: "{}" })],
      [
        503,
        () =>
          callWith({ WEBHOOK_SECRET: "" }, "/v1/webhooks/test", {
            method: "POST",
            headers: aliceJson,
            body: JSON.stringify({ url }),
          }),
      ],
    ]);
  });
});

describe("the webhook secret answers what it declares", () => {
  it("GET /v1/webhooks/secret", async () => {
    await expectAll(getWebhookSecretRoute, [
      [200, () => call("/v1/webhooks/secret")],
      [401, () => call("/v1/webhooks/secret", { as: null })],
      [503, () => callWith(NOT_CONFIGURED, "/v1/webhooks/secret")],
      [
        503,
        () =>
          callWith({ WEBHOOK_SECRET: "" }, "/v1/webhooks/secret", {
            headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}` },
          }),
      ],
    ]);
  });
});

describe("the model catalogue answers what it declares", () => {
  it("GET /v1/models", async () => {
    await expectAll(listModelsRoute, [
      [200, () => call("/v1/models")],
      [401, () => call("/v1/models", { as: null })],
      [503, () => callWith(NOT_CONFIGURED, "/v1/models")],
    ]);
  });

  it("GET /v1/models/{id}", async () => {
    await expectAll(getModelRoute, [
      [200, () => call("/v1/models/google/veo-3.1-t2v")],
      [200, () => call("/v1/models/klingai%2Fv2.5-turbo%2Fpro%2Ftext-to-video")],
      [401, () => call("/v1/models/google/veo-3.1-t2v", { as: null })],
      [404, () => call("/v1/models/google/veo-9")],
      [503, () => callWith(NOT_CONFIGURED, "/v1/models/google/veo-3.1-t2v")],
    ]);
  });
});

describe("the pages answer what they declare", () => {
  it.each([
    ["/healthz", healthRoute],
    ["/", playgroundRoute],
    ["/docs", docsRoute],
  ] as const)("GET %s", async (path, route) => {
    await expectAll(route, [[200, () => call(path, { as: null })]]);
  });
});

describe("the document", () => {
  it("lists every route the app serves", async () => {
    const doc = await (await call("/openapi.json", { as: null })).json<{ paths: Record<string, object> }>();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)),
    );
    // Hono's `:name` and `:name{pattern}` (a model id spans segments) are OpenAPI's `{name}`.
    const served = new Set(
      app.routes.map(
        (route) => `${route.method.toLowerCase()} ${route.path.replace(/:([^/{]+)(\{[^/]*\})?/g, "{$1}")}`,
      ),
    );
    expect(served.size).toBeGreaterThanOrEqual(16);
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
  });
});
