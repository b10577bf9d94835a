/**
 * The structured logs of an end-to-end run under `wrangler dev`
 * (docs/api.md#operations): every line the process wrote is scanned for the keys, the secrets,
 * the signatures handed out and the prompts used, none of which may appear;
 * and each lifecycle event has at least one JSON line naming its generation,
 * client and model.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import { clientWebhookSecret } from "../../src/webhook/client-secret.ts";
import { startRelay, testRelayVars, type RelayProcess } from "../support/relay-process.ts";
import { TEST_CLIENT_KEYS, TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "../support/constants.ts";

/** At least 32 bytes, so the relay accepts it and signs links with it. */
const URL_SIGNING_SECRET = `log-scan-url-signing-secret-${crypto.randomUUID()}`;
const TERMINAL = ["completed", "failed", "canceled"];

interface LogLine {
  level: string;
  event: string;
  generation?: string;
  client?: string;
  model?: string;
  age_ms?: number;
  [field: string]: unknown;
}

describe("structured logs", () => {
  let relay: RelayProcess;
  beforeAll(async () => {
    relay = await startRelay({
      vars: testRelayVars(inject("upstreamUrl"), {
        WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.2,0.2",
        URL_SIGNING_SECRET,
      }),
    });
  });
  afterAll(async () => relay?.stop());

  async function api(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
    const { key = TEST_CLIENT_KEYS.alice, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set("Authorization", `Bearer ${key}`);
    if (rest.body !== undefined) headers.set("Content-Type", "application/json");
    return fetch(`${relay.url}${path}`, { ...rest, headers });
  }

  async function create(body: Record<string, unknown>, key?: string): Promise<Generation> {
    const response = await api("/v1/generations", { method: "POST", body: JSON.stringify(body), key });
    expect(response.status, await response.clone().text()).toBe(202);
    return (await response.json()) as Generation;
  }

  async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The relay's JSON lines; lifecycle lines are whole lines (console.warn/error ones come decorated by wrangler). */
  const jsonLines = (): LogLine[] =>
    relay
      .logs()
      .split("\n")
      .filter((line) => line.startsWith('{"level":'))
      .map((line) => JSON.parse(line) as LogLine);

  it(
    "names every lifecycle event in one JSON line each, and never a key, secret, signature, prompt or URL query",
    {
      timeout: 120_000,
    },
    async () => {
      const run = crypto.randomUUID();
      const hookToken = `hook-token-${crypto.randomUUID()}`;
      const hook = (name: string, script: string) =>
        `${inject("receiverUrl")}/hook/logs-${run}-${name}/${script}?token=${hookToken}`;
      const slow = ["queued", ...Array<string>(40).fill("generating"), "completed"].join(",");
      const prompts = {
        // The first webhook attempt is answered 500, the second 200; the first download fails.
        completed: `log scan completed ${crypto.randomUUID()} [[fake download=500]]`,
        failed: `log scan failed ${crypto.randomUUID()} [[fake steps=queued,generating,error]]`,
        canceled: `log scan canceled ${crypto.randomUUID()} [[fake steps=${slow}]]`,
        bob: `log scan bob ${crypto.randomUUID()}`,
      };
      const completed = await create({ prompt: prompts.completed, webhook_url: hook("completed", "500,200") });
      const failed = await create({ prompt: prompts.failed, webhook_url: hook("failed", "200") });
      const canceled = await create({ prompt: prompts.canceled, webhook_url: hook("canceled", "200") });
      const bob = await create({ prompt: prompts.bob }, TEST_CLIENT_KEYS.bob);
      const ids = [completed.id, failed.id, canceled.id, bob.id];

      await until("the slow one generating", async () => {
        const g = (await (await api(`/v1/generations/${canceled.id}`)).json()) as Generation;
        return g.status === "generating" ? g : null;
      });
      expect((await api(`/v1/generations/${canceled.id}`, { method: "DELETE" })).status).toBe(200);

      // Every link handed out, and its signature: from reads, the list and the webhook deliveries.
      const links: string[] = [];
      const finals: Generation[] = [];
      for (const id of ids) {
        const key = id === bob.id ? TEST_CLIENT_KEYS.bob : TEST_CLIENT_KEYS.alice;
        const done = await until(`${id} terminal`, async () => {
          const g = (await (await api(`/v1/generations/${id}`, { key })).json()) as Generation;
          return TERMINAL.includes(g.status) ? g : null;
        });
        finals.push(done);
        if (done.video) links.push(done.video.url);
      }
      expect(finals.map((g) => g.status)).toEqual(["completed", "failed", "canceled", "completed"]);
      const list = (await (await api("/v1/generations")).json()) as { data: Generation[] };
      for (const g of list.data) if (g.video) links.push(g.video.url);
      const deliveries = await until("the webhook deliveries", async () => {
        const all = (await (await fetch(`${inject("receiverUrl")}/__deliveries`)).json()) as {
          path: string;
          body: string;
        }[];
        const ours = all.filter((d) => d.path.startsWith(`/hook/logs-${run}-`));
        return ours.length >= 4 ? ours : null;
      });
      for (const d of deliveries) {
        const url = (JSON.parse(d.body) as { data: Generation }).data.video?.url;
        if (url) links.push(url);
      }
      // A viewer downloads through a signed link.
      const view = await fetch(links[0] ?? "");
      expect(view.status).toBe(200);
      await view.arrayBuffer();

      // Every generation has said all it will: its settled line is out.
      await until("every generation settled", async () => {
        const settled = new Set(
          jsonLines()
            .filter((l) => l.event === "generation.settled")
            .map((l) => l.generation),
        );
        return ids.every((id) => settled.has(id)) ? true : null;
      });

      const signatures = links.map((link) => new URL(link).searchParams.get("signature") ?? "");
      expect(signatures.length).toBeGreaterThanOrEqual(3);
      expect(signatures.every((s) => s.length >= 20)).toBe(true);
      const forbidden: Record<string, string> = {
        "alice's key": TEST_CLIENT_KEYS.alice,
        "bob's key": TEST_CLIENT_KEYS.bob,
        "the bare key": TEST_CLIENT_KEYS.bare,
        AIMLAPI_KEY: TEST_UPSTREAM_KEY,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        "WEBHOOK_SECRET's base64": TEST_WEBHOOK_SECRET.slice("whsec_".length),
        "alice's webhook secret": await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice"),
        "bob's webhook secret": await clientWebhookSecret(TEST_WEBHOOK_SECRET, "bob"),
        URL_SIGNING_SECRET,
        "the webhook URL's query": hookToken,
        ...Object.fromEntries(signatures.map((s, i) => [`video link signature ${i}`, s])),
        ...Object.fromEntries(Object.entries(prompts).map(([name, p]) => [`the ${name} prompt`, p])),
        // The unique part of each prompt, in case a prompt were logged cut or escaped.
        ...Object.fromEntries(
          Object.entries(prompts).map(([name, p]) => [`the ${name} prompt's uuid`, p.split(" ")[3] ?? p]),
        ),
      };
      const lines = relay.logs().split("\n");
      expect(lines.length).toBeGreaterThan(20);
      for (const line of lines) {
        for (const [what, value] of Object.entries(forbidden)) {
          expect(line.includes(value), `${what} in the log line: ${line}`).toBe(false);
        }
        // No signed URL of ours or of the upstream's object store, in any spelling.
        expect(line, "a signed link's query in the log").not.toMatch(/signature=|Key-Pair-Id|Expires=/i);
      }

      // One JSON line per lifecycle event at least, each naming its generation, client and model.
      const logged = jsonLines();
      const ours = logged.filter((l) => l.generation !== undefined && ids.includes(l.generation));
      const events = new Set(ours.map((l) => l.event));
      for (const event of [
        "generation.created",
        "generation.submitted",
        "generation.status",
        "generation.stored",
        "webhook.attempt",
        "generation.failed",
        "generation.settled",
      ]) {
        expect(events, event).toContain(event);
      }
      for (const line of ours) {
        expect(line.client, line.event).toMatch(/^(alice|bob)$/);
        expect(line.model, line.event).toBe("alibaba/wan2.5-t2v-preview");
        expect(typeof line.age_ms, line.event).toBe("number");
      }
      const of = (id: string, event: string) => ours.filter((l) => l.generation === id && l.event === event);
      expect(of(completed.id, "generation.created")).toHaveLength(1);
      expect(of(bob.id, "generation.created")[0]?.client).toBe("bob");
      expect(of(completed.id, "generation.submitted")[0]).toMatchObject({ outcome: "accepted", attempt: 1 });
      const stored = of(completed.id, "generation.stored")[0];
      expect(stored).toMatchObject({ bytes: finals[0]?.video?.bytes, attempt: 2 });
      expect(typeof stored?.copy_ms).toBe("number");
      expect(of(completed.id, "webhook.attempt").map((l) => [l.http_status, l.outcome])).toEqual([
        [500, "pending"],
        [200, "delivered"],
      ]);
      expect(of(completed.id, "generation.status").map((l) => l.to)).toEqual(["generating", "storing", "completed"]);
      expect(of(failed.id, "generation.failed")[0]).toMatchObject({ code: "upstream_error", from: "generating" });
      expect(of(canceled.id, "generation.status").at(-1)).toMatchObject({ from: "generating", to: "canceled" });
      expect(of(canceled.id, "generation.failed")).toHaveLength(0);

      // The settled line carries the generation's counts.
      const meter = of(completed.id, "generation.settled")[0]?.meter as Record<string, number> | undefined;
      expect(meter?.alarms).toBeGreaterThanOrEqual(6);
      expect(meter?.r2_class_a).toBe(1);
      expect(meter?.bytes_stored).toBe(finals[0]?.video?.bytes);
      expect(meter?.rows_written).toBeGreaterThan(0);
      expect(meter?.do_requests).toBeGreaterThan(meter?.alarms ?? 0);
      // Bob's plain generation tells its client index three times (the submission's credit figure,
      // generating, completed), never `storing` on its own: under wrangler dev alarms run on time, and
      // the run whose poll finds the video copies it in that same run.
      const bobMeter = of(bob.id, "generation.settled")[0]?.meter as Record<string, number> | undefined;
      expect(bobMeter?.index_requests).toBe(3);
    },
  );
});
