/**
 * The native API's routes (docs/api.md#native-api, #errors): auth, visibility between
 * clients, ids, listing and pagination, idempotency, the active limit,
 * cancellation, and the pages served without auth.
 */
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { utcMonth } from "../../src/lib/months.ts";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app.ts";
import type { Generation } from "../../src/api/schemas.ts";
import { clientWebhookSecret } from "../../src/webhook/client-secret.ts";
import { TEST_CLIENT_KEYS, TEST_WEBHOOK_SECRET } from "../support/constants.ts";
import { summaryOf } from "./index-helpers.ts";
import {
  call,
  create,
  expectNativeError,
  get,
  ORIGIN,
  postJson,
  settle,
  stepUntil,
  stubOf,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
  type Client,
  unissuedId,
} from "./helpers.ts";

interface ListBody {
  data: Generation[];
  next_cursor: string | null;
}

/** Every per-generation route, as [method, path]. */
const routesFor = (id: string): [method: string, path: string][] => [
  ["GET", `/v1/generations/${id}`],
  ["DELETE", `/v1/generations/${id}`],
  ["GET", `/v1/generations/${id}/events`],
  ["GET", `/v1/generations/${id}/video`],
  ["POST", `/v1/generations/${id}/webhook/redeliver`],
  ["GET", `/v1/generations/${id}/stream`],
];

async function list(query: string, as: Client = "alice"): Promise<ListBody> {
  const response = await call(`/v1/generations${query}`, { as });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json<ListBody>();
}

/** Pages through a listing (limit 100) until `until` holds for what was collected, or the list ends. */
async function collect(
  query: string,
  as: Client,
  until: (found: Generation[]) => boolean = () => false,
): Promise<Generation[]> {
  const found: Generation[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const body = await list(`?limit=100${query}${cursor === null ? "" : `&cursor=${cursor}`}`, as);
    found.push(...body.data);
    cursor = body.next_cursor;
    if (cursor === null || until(found)) break;
  }
  return found;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("authentication", () => {
  it("refuses a request without Authorization with 401", async () => {
    const response = await call("/v1/generations", { as: null });
    const error = await expectNativeError(response, 401, "unauthorized");
    expect(error.message).toMatch(/Authorization/);
    expect(response.headers.get("WWW-Authenticate")).toBe("Bearer");
  });

  it("refuses a wrong key with 401", async () => {
    const response = await call("/v1/generations", { as: null, headers: { Authorization: "Bearer not-a-key" } });
    await expectNativeError(response, 401, "unauthorized");
  });

  it("refuses a valid key under the Basic scheme with 401", async () => {
    const basic = `Basic ${btoa(`alice:${TEST_CLIENT_KEYS.alice}`)}`;
    await expectNativeError(
      await call("/v1/generations", { as: null, headers: { Authorization: basic } }),
      401,
      "unauthorized",
    );
    const bareBasic = `Basic ${TEST_CLIENT_KEYS.alice}`;
    await expectNativeError(
      await call("/v1/generations", { as: null, headers: { Authorization: bareBasic } }),
      401,
      "unauthorized",
    );
  });

  it("refuses a client name given in place of its key", async () => {
    await expectNativeError(
      await call("/v1/generations", { as: null, headers: { Authorization: "Bearer alice" } }),
      401,
      "unauthorized",
    );
  });

  it("checks the key before the body: a bad body without a key is 401, not 400", async () => {
    const response = await postJson("/v1/generations", { prompt: "" }, { as: null });
    await expectNativeError(response, 401, "unauthorized");
  });

  it("never echoes the presented key in the answer", async () => {
    const response = await call("/v1/generations", {
      as: null,
      headers: { Authorization: "Bearer secret-looking-key-123" },
    });
    expect(await response.text()).not.toContain("secret-looking-key-123");
  });

  it("accepts a bare key (no client name) and keeps its generations to it", async () => {
    const generation = await create({ prompt: uniquePrompt() }, "bare");
    expect((await get(generation.id, "bare")).id).toBe(generation.id);
    await expectNativeError(await call(`/v1/generations/${generation.id}`, { as: "alice" }), 404, "not_found");
  });
});

describe("visibility between clients", () => {
  it.each(routesFor("GEN_ID"))("answers 404 to another client on %s %s", async (method, template) => {
    const generation = await create({ prompt: uniquePrompt(), webhook_url: "https://hooks.example.com/x" });
    const response = await call(template.replace("GEN_ID", generation.id), { as: "bob", method });
    await expectNativeError(response, 404, "not_found");
  });

  it("leaves the owner's generation untouched when another client tries to cancel it", async () => {
    const generation = await create({ prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${generation.id}`, { as: "bob", method: "DELETE" })).status).toBe(404);
    expect((await get(generation.id)).status).not.toBe("canceled");
  });

  it("lists only the caller's own generations", async () => {
    const mine = await create({ prompt: uniquePrompt() }, "bare");
    const bares = await collect("", "bare", (found) => found.some((g) => g.id === mine.id));
    expect(bares.map((g) => g.id)).toContain(mine.id);
    const alices = await collect("", "alice");
    expect(alices.map((g) => g.id)).not.toContain(mine.id);
  });
});

describe("generation ids", () => {
  it.each(routesFor("GEN_ID"))("answers 404 for an unknown but well-formed id on %s %s", async (method, template) => {
    const response = await call(template.replace("GEN_ID", unissuedId()), { method });
    await expectNativeError(response, 404, "not_found");
  });

  it.each([
    ["nope", "nope"],
    ["the bare prefix", "gen_"],
    ["a very long id", `gen_${"a".repeat(5000)}`],
    ["a path-traversal attempt", "gen_..%2F..%2Fhealthz"],
    ["an encoded traversal without prefix", "..%2F..%2Fhealthz"],
    ["an id with a NUL byte", "gen_%00"],
    ["an id in upper case", unissuedId().toUpperCase()],
    ["an id with letters outside the alphabet", `gen_${"u".repeat(26)}`],
    ["an id one character short", unissuedId().slice(0, -1)],
  ])("answers 404, never 500, for %s on every route", async (_name, id) => {
    for (const [method, path] of routesFor(id)) {
      const response = await call(path, { method });
      await expectNativeError(response, 404, "not_found");
    }
  });
});

describe("GET /v1/generations", () => {
  it("lists newest first and pages with limit and next_cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await create({ prompt: uniquePrompt() }, "bare")).id);
      await pause(3); // ids order by creation millisecond
    }
    const newestFirst = [...ids].reverse();
    // Other tests may create generations for this client meanwhile; ours must still come in order.
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20 && !ids.every((id) => seen.includes(id)); page++) {
      const body = await list(`?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`, "bare");
      expect(body.data.length).toBeLessThanOrEqual(2);
      pages.push(body.data.length);
      seen.push(...body.data.map((g) => g.id));
      cursor = body.next_cursor;
      if (cursor !== null) expect(cursor).toBe(body.data.at(-1)?.id);
    }
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(seen.filter((id) => ids.includes(id))).toEqual(newestFirst);
  });

  it("ends with next_cursor null", async () => {
    const all = await collect("", "bare");
    expect(all.length).toBeGreaterThan(0);
    const last = await list(`?limit=100&cursor=${all.at(-1)?.id ?? ""}`, "bare");
    expect(last).toEqual({ data: [], next_cursor: null });
  });

  it("filters by status", async () => {
    const canceled = await create({ prompt: uniquePrompt() });
    const queued = await create({ prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${canceled.id}`, { method: "DELETE" })).status).toBe(200);
    const canceledList = await collect("&status=canceled", "alice", (found) => found.some((g) => g.id === canceled.id));
    expect(canceledList.map((g) => g.id)).toContain(canceled.id);
    expect(canceledList.map((g) => g.id)).not.toContain(queued.id);
    expect(canceledList.every((g) => g.status === "canceled")).toBe(true);
    const queuedList = await collect("&status=queued", "alice", (found) => found.some((g) => g.id === queued.id));
    expect(queuedList.map((g) => g.id)).toContain(queued.id);
    expect(queuedList.map((g) => g.id)).not.toContain(canceled.id);
  });

  it("defaults to 20 per page", async () => {
    for (let i = 0; i < 21; i++) await create({ prompt: uniquePrompt() }, "bare");
    const body = await list("", "bare");
    expect(body.data).toHaveLength(20);
    expect(body.next_cursor).not.toBeNull();
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["status=bogus", "status"],
    ["cursor=not-a-cursor", "cursor"],
  ])("refuses ?%s with 400 naming %s", async (query, field) => {
    const error = await expectNativeError(await call(`/v1/generations?${query}`), 400, "invalid_request");
    expect(error.message).toContain(field);
    expect(error.details?.map((detail) => detail.field)).toContain(field);
  });

  it("ignores unknown query parameters such as cache busters", async () => {
    expect((await call("/v1/generations?limit=1&_=1712345678")).status).toBe(200);
  });

  it.each(["limit=1", "limit=100"])("accepts ?%s", async (query) => {
    expect((await call(`/v1/generations?${query}`)).status).toBe(200);
  });
});

describe("Idempotency-Key", () => {
  it("returns the same generation (200) for the same key and body, and submits upstream once", async () => {
    const key = crypto.randomUUID();
    const prompt = uniquePrompt();
    const first = await postJson("/v1/generations", { prompt, seed: 7 }, { headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(202);
    const created = await first.json<Generation>();

    const again = await postJson("/v1/generations", { prompt, seed: 7 }, { headers: { "Idempotency-Key": key } });
    expect(again.status).toBe(200);
    expect((await again.json<Generation>()).id).toBe(created.id);

    await waitForSubmission(created.id);
    await stepUntil(created.id, (state) => state.upstream.id !== null);
    const afterSubmit = await postJson("/v1/generations", { seed: 7, prompt }, { headers: { "Idempotency-Key": key } });
    expect(afterSubmit.status).toBe(200);
    expect((await afterSubmit.json<Generation>()).id).toBe(created.id);
    await settle(created.id);
    expect((await upstreamStats({ prompt: prompt })).submits).toBe(1);
  });

  it("refuses the same key with a different body: 422 idempotency_key_reused", async () => {
    const key = crypto.randomUUID();
    expect(
      (await postJson("/v1/generations", { prompt: uniquePrompt() }, { headers: { "Idempotency-Key": key } })).status,
    ).toBe(202);
    const other = uniquePrompt();
    const response = await postJson("/v1/generations", { prompt: other }, { headers: { "Idempotency-Key": key } });
    await expectNativeError(response, 422, "idempotency_key_reused");
    expect((await upstreamStats({ prompt: other })).submits).toBe(0);
  });

  it("keeps keys per client: the same key from another client creates its own generation", async () => {
    const key = crypto.randomUUID();
    const body = { prompt: uniquePrompt() };
    const alices = await postJson("/v1/generations", body, { as: "alice", headers: { "Idempotency-Key": key } });
    const bares = await postJson("/v1/generations", body, { as: "bare", headers: { "Idempotency-Key": key } });
    expect(alices.status).toBe(202);
    expect(bares.status).toBe(202);
    expect((await bares.json<Generation>()).id).not.toBe((await alices.json<Generation>()).id);
  });

  it("creates a new generation each time without a key", async () => {
    const body = { prompt: uniquePrompt() };
    const first = await create(body);
    const second = await create(body);
    expect(second.id).not.toBe(first.id);
  });
});

describe("webhook signing configuration", () => {
  const postWith = async (vars: Record<string, string | undefined>): Promise<Response> => {
    const ctx = createExecutionContext();
    const request = new Request(`${ORIGIN}/v1/generations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}`, "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: uniquePrompt(), webhook_url: "https://hooks.example.com/x" }),
    });
    const response = await app.fetch(request, { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };

  it.each([
    ["unset", undefined],
    ["not a whsec_ secret", "whsec_not base64!"],
    ["too short", "whsec_c2hvcnQ="],
  ])("refuses a webhook_url with 503 not_configured when WEBHOOK_SECRET is %s", async (_name, secret) => {
    const response = await postWith({ WEBHOOK_SECRET: secret });
    expect(response.status).toBe(503);
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("not_configured");
    expect(body.error.message).toContain("WEBHOOK_SECRET");
    if (secret) expect(body.error.message).not.toContain(secret);
  });
});

describe("MAX_ACTIVE_PER_KEY", () => {
  const reserveIn = (index: string, maxActive: number, idempotencyKey: string | null = null) =>
    env.CLIENT_INDEX.getByName(index).reserve({
      id: unissuedId(),
      createdAt: Date.now(),
      idempotencyKey,
      bodyHash: "hash",
      maxActive,
      budget: null,
      month: utcMonth(Date.now()),
    });

  it("refuses a reservation beyond maxActive", async () => {
    const index = `limit-test-${crypto.randomUUID()}`;
    expect(await reserveIn(index, 2)).toEqual({ kind: "created" });
    expect(await reserveIn(index, 2)).toEqual({ kind: "created" });
    expect(await reserveIn(index, 2)).toEqual({ kind: "too_many", active: 2 });
  });

  it("counts only generations that hold a slot", async () => {
    const index = `limit-test-${crypto.randomUUID()}`;
    const stub = env.CLIENT_INDEX.getByName(index);
    const id = unissuedId();
    await stub.reserve({
      id,
      createdAt: Date.now(),
      idempotencyKey: null,
      bodyHash: "hash",
      maxActive: 1,
      budget: null,
      month: utcMonth(Date.now()),
    });
    expect(await reserveIn(index, 1)).toEqual({ kind: "too_many", active: 1 });
    await stub.record({ id, version: 1, summary: summaryOf(id, "completed"), holdsSlot: false });
    expect(await reserveIn(index, 1)).toEqual({ kind: "created" });
  });

  it("still answers an idempotent replay when the client is at its limit", async () => {
    const index = `limit-test-${crypto.randomUUID()}`;
    const stub = env.CLIENT_INDEX.getByName(index);
    const id = unissuedId();
    await stub.reserve({
      id,
      createdAt: Date.now(),
      idempotencyKey: "k1",
      bodyHash: "hash",
      maxActive: 1,
      budget: null,
      month: utcMonth(Date.now()),
    });
    expect(
      await stub.reserve({
        id: unissuedId(),
        createdAt: Date.now(),
        idempotencyKey: "k1",
        bodyHash: "hash",
        maxActive: 1,
        budget: null,
        month: utcMonth(Date.now()),
      }),
    ).toEqual({
      kind: "existing",
      id,
    });
  });

  it("answers 429 with Retry-After over the HTTP API", async () => {
    // A client of its own, so the generations of other tests do not count.
    const key = `limit-key-${crypto.randomUUID()}`;
    const limitedEnv = { ...env, RELAY_API_KEYS: `limit-${crypto.randomUUID()}:${key}`, MAX_ACTIVE_PER_KEY: "2" };
    const post = async (prompt: string): Promise<Response> => {
      const ctx = createExecutionContext();
      const request = new Request(`${ORIGIN}/v1/generations`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ prompt }),
      });
      const response = await app.fetch(request, limitedEnv, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    };
    expect((await post(uniquePrompt())).status).toBe(202);
    expect((await post(uniquePrompt())).status).toBe(202);
    const third = uniquePrompt();
    const response = await post(third);
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
    await expectNativeError(response, 429, "too_many_active");
    expect((await upstreamStats({ prompt: third })).submits).toBe(0);
  });
});

describe("DELETE /v1/generations/{id}", () => {
  it("cancels a queued generation: 200 with status canceled", async () => {
    const generation = await create({ prompt: uniquePrompt() });
    expect(generation.status).toBe("queued");
    const response = await call(`/v1/generations/${generation.id}`, { method: "DELETE" });
    expect(response.status).toBe(200);
    const canceled = await response.json<Generation>();
    expect(canceled.id).toBe(generation.id);
    expect(canceled.status).toBe("canceled");
    expect((await get(generation.id)).status).toBe("canceled");
  });

  it("answers 409 when canceling a generation that is already terminal", async () => {
    const generation = await create({ prompt: uniquePrompt() });
    expect((await call(`/v1/generations/${generation.id}`, { method: "DELETE" })).status).toBe(200);
    const again = await call(`/v1/generations/${generation.id}`, { method: "DELETE" });
    const error = await expectNativeError(again, 409, "already_terminal");
    expect(error.message).toContain("canceled");
  });

  it("never submits or copies again once canceled, and stops polling when the running task ends", async () => {
    const prompt = uniquePrompt("steps=completed");
    const generation = await create({ prompt });
    await waitForSubmission(generation.id);
    await stepUntil(generation.id, (state) => state.upstream.id !== null);
    expect((await call(`/v1/generations/${generation.id}`, { method: "DELETE" })).status).toBe(200);
    const before = await upstreamStats({ prompt: prompt });
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stubOf(generation.id));
    const after = await upstreamStats({ prompt: prompt });
    // One more poll finds the task completed; nothing is downloaded, nothing submitted.
    expect(after).toMatchObject({ submits: before.submits, polls: before.polls + 1, downloads: before.downloads });
    expect((await get(generation.id)).status).toBe("canceled");
  });
});

describe("pages without auth", () => {
  it("answers GET /healthz with {ok: true, upstream} (the test bindings set AIMLAPI_KEY)", async () => {
    const response = await call("/healthz", { as: null });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, upstream: "aimlapi" });
  });

  it("builds the OpenAPI document once per isolate, whoever asks and on whatever origin", async () => {
    const build = vi.spyOn(app, "getOpenAPI31Document");
    try {
      const origins = ["https://relay.example", "https://other.example", "https://relay.example"];
      const docs = await Promise.all(
        origins.map(async (origin) => {
          const response = await app.fetch(new Request(`${origin}/openapi.json`), env, createExecutionContext());
          expect(response.status).toBe(200);
          return response.json<{ servers: { url: string }[]; paths: object }>();
        }),
      );
      // At most the first of these requests built it (an earlier test may have already).
      expect(build.mock.calls.length).toBeLessThanOrEqual(1);
      expect(docs.map((doc) => doc.servers)).toEqual(origins.map((url) => [{ url }]));
      expect(docs[1]?.paths).toEqual(docs[0]?.paths);
    } finally {
      build.mockRestore();
    }
  });

  it("serves an OpenAPI 3.1 document with the contract's paths", async () => {
    const response = await call("/openapi.json", { as: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    const doc = await response.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, unknown>>;
      components: {
        schemas: Record<
          string,
          {
            type?: string;
            properties?: Record<string, Record<string, unknown>>;
            required?: string[];
            additionalProperties?: unknown;
          }
        >;
      };
    }>();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    const expected: [string, string][] = [
      ["/v1/generations", "post"],
      ["/v1/generations", "get"],
      ["/v1/generations/{id}", "get"],
      ["/v1/generations/{id}", "delete"],
      ["/v1/generations/{id}/video", "get"],
      ["/v1/generations/{id}/events", "get"],
      ["/v1/generations/{id}/webhook/redeliver", "post"],
      ["/v1/generations/{id}/stream", "get"],
      // Every vendor path, as one templated path (its `vendor` enum is checked in test/node/openapi.test.ts).
      ["/v2/generate/video/{vendor}/generation", "post"],
      ["/v2/generate/video/{vendor}/generation", "get"],
      ["/v2/video/generations", "post"],
      ["/v2/video/generations", "get"],
      ["/v1/webhooks/test", "post"],
      ["/healthz", "get"],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    // The relay's own fields; the model's fields are checked per model and documented by GET /v1/models/{id}.
    const create = doc.components.schemas.CreateGeneration;
    expect(create?.type).toBe("object");
    expect(Object.keys(create?.properties ?? {}).sort()).toEqual([
      "metadata",
      "model",
      "webhook_events",
      "webhook_url",
    ]);
    expect(create?.required).toBeUndefined();
    expect(create?.additionalProperties).toBe(true);
    expect(JSON.stringify(create)).toContain("GET /v1/models/{model}");
  });

  it("serves the docs page as HTML", async () => {
    const response = await call("/docs", { as: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("/openapi.json");
  });

  it("serves the playground as HTML at /", async () => {
    const response = await call("/", { as: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<html/i);
  });

  it("answers an unknown /v1 route with a native 404", async () => {
    await expectNativeError(await call("/v1/nothing-here"), 404, "not_found");
  });
});

describe("GET /v1/webhooks/secret", () => {
  it("answers each client its own stable whsec_ secret, never WEBHOOK_SECRET itself", async () => {
    const secretOf = async (as: Client) => {
      const response = await call("/v1/webhooks/secret", { as });
      expect(response.status).toBe(200);
      return (await response.json<{ key: string }>()).key;
    };
    const alice = await secretOf("alice");
    expect(alice).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await secretOf("alice")).toBe(alice);
    expect(await secretOf("bob")).not.toBe(alice);
    expect(alice).not.toBe(TEST_WEBHOOK_SECRET);
    expect(alice).toBe(await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice"));
  });
});

describe("URL_SIGNING_SECRET", () => {
  const fetchWith = async (secret: string, path: string, init: RequestInit = {}): Promise<Response> => {
    const ctx = createExecutionContext();
    const headers = new Headers(init.headers);
    if (!path.includes("signature=")) headers.set("Authorization", `Bearer ${TEST_CLIENT_KEYS.alice}`);
    const response = await app.fetch(
      new Request(`${ORIGIN}${path}`, { ...init, headers }),
      { ...env, URL_SIGNING_SECRET: secret },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };

  it("under 32 bytes: every API call answers 503 not_configured naming it, and nothing is created", async () => {
    const short = "x".repeat(31);
    const { id } = await create({ prompt: uniquePrompt() });
    const prompt = uniquePrompt();
    const calls: [string, RequestInit][] = [
      [
        "/v1/generations",
        { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ prompt }) },
      ],
      ["/v1/generations", {}],
      [`/v1/generations/${id}`, {}],
      [`/v1/generations/${id}/events`, {}],
      [`/v1/generations/${id}/video?expires=4102444800&signature=${"A".repeat(43)}`, {}],
      ["/v1/webhooks/secret", {}],
      [`/v2/video/generations?generation_id=${id}`, {}],
    ];
    for (const [path, init] of calls) {
      const response = await fetchWith(short, path, init);
      const text = await response.text();
      expect(response.status, `${path}: ${text}`).toBe(503);
      expect(text).toContain("URL_SIGNING_SECRET");
      expect(text).not.toContain(short);
    }
    expect((await upstreamStats({ prompt })).submits).toBe(0);
  });

  it("of 32 bytes or more is accepted", async () => {
    const response = await fetchWith("y".repeat(32), "/v1/generations");
    expect(response.status).toBe(200);
  });
});

describe("GET /v1/generations/{id}/events?limit=&cursor=", () => {
  it("pages the timeline: the pages joined are the whole timeline, oldest first", async () => {
    const created = await create({ prompt: uniquePrompt("steps=queued,generating,completed") });
    await stepUntil(created.id, (state) => state.status === "completed");
    const whole = await call(`/v1/generations/${created.id}/events`);
    const all = (await whole.json<{ data: unknown[]; next_cursor: string | null }>()) ?? { data: [] };
    expect(all.next_cursor).toBeNull();
    expect(all.data.length).toBeGreaterThan(4);
    const joined: unknown[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const query: string = cursor === null ? "limit=2" : `limit=2&cursor=${cursor}`;
      const page = await call(`/v1/generations/${created.id}/events?${query}`);
      expect(page.status).toBe(200);
      const body = await page.json<{ data: unknown[]; next_cursor: string | null }>();
      expect(body.data.length).toBeLessThanOrEqual(2);
      joined.push(...body.data);
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(joined).toEqual(all.data);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=two", "limit"],
    ["cursor=abc", "cursor"],
  ])("refuses %s naming %s", async (query, field) => {
    const created = await create({ prompt: uniquePrompt() });
    const error = await expectNativeError(
      await call(`/v1/generations/${created.id}/events?${query}`),
      400,
      "invalid_request",
    );
    expect(error.details?.map((detail) => detail.field)).toContain(field);
  });
});
