/**
 * The floor: a Worker doing the least a relay's create needs on this runtime,
 * so the relay's figures can be read against what workerd itself costs on
 * the same machine in the same run (bench/floor.ts).
 *
 *   POST /create?alarms=6&interval_ms=200&index=0|1&fetch=0|1&logs=0&copy=0
 *
 * reads the JSON body, names one Durable Object per create by a random id,
 * and has it write one SQLite row and set one alarm, due at once (where the
 * relay submits). Each alarm run is a trivial "poll": it bumps the row's
 * count and sets the next alarm `interval_ms` later, until `alarms` runs are
 * done (the relay's submit and its polls, one alarm each). With `index=1` the
 * Worker first writes one row in a per-client index object (one more hop, as
 * the relay's reservation is); with `fetch=1` each alarm run also makes one
 * GET to UPSTREAM_URL (the relay's polls are HTTP requests); with `logs=N`
 * the first alarm run writes N more JSON lines (what a log line costs); with
 * `copy=N` the last alarm run downloads N bytes from UPSTREAM_URL and puts
 * them in R2 as they arrive (the least a copy of the video is). With all of
 * them (`index=1&fetch=1&logs=5&copy=…`) the floor does the I/O a relay's
 * generation needs: the index hop, an upstream request per alarm run, the
 * copy, and as many log lines.
 *
 * Run with wrangler.front.jsonc, every request first passes the assets layer
 * and each create asks a rate limiter, as the relay's do.
 *
 * `POST /index-only` writes one row in the one index object and nothing else:
 * what a single Durable Object sustains for a one-row write per request.
 *
 * It logs one line when a generation's first alarm has run (`floor.submitted`)
 * and one when its last has (`floor.done`), so the bench can tell when the
 * work it started is over without asking the Worker (which would add work).
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  FLOOR_GENERATION: DurableObjectNamespace<FloorGeneration>;
  FLOOR_INDEX: DurableObjectNamespace<FloorIndex>;
  FLOOR_VIDEOS: R2Bucket;
  UPSTREAM_URL: string;
  /** Bound by wrangler.front.jsonc only: each create asks it, as the relay's create does. */
  CREATE_RATE?: RateLimit;
}

interface StartParams {
  id: string;
  body: string;
  alarms: number;
  intervalMs: number;
  fetch: boolean;
  /** Extra JSON log lines the first alarm writes (to price a log line under wrangler dev). */
  logs: number;
  /** Bytes the last alarm downloads and puts in R2 (0: none). */
  copy: number;
}

interface Row {
  id: string;
  done: number;
  alarms: number;
  interval_ms: number;
  fetch: number;
  logs: number;
  copy: number;
  [column: string]: SqlStorageValue;
}

/** One object per create: one row, one alarm at a time. */
export class FloorGeneration extends DurableObject<FloorEnv> {
  async start(params: StartParams): Promise<{ id: string; status: string }> {
    const sql = this.ctx.storage.sql;
    // A new object has no table: creating it is part of the least a create needs.
    sql.exec(
      `CREATE TABLE IF NOT EXISTS g (id TEXT PRIMARY KEY, body TEXT NOT NULL, done INTEGER NOT NULL, alarms INTEGER NOT NULL, interval_ms INTEGER NOT NULL, fetch INTEGER NOT NULL, logs INTEGER NOT NULL, copy INTEGER NOT NULL)`,
    );
    sql.exec(
      `INSERT OR IGNORE INTO g (id, body, done, alarms, interval_ms, fetch, logs, copy) VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
      params.id,
      params.body,
      params.alarms,
      params.intervalMs,
      params.fetch ? 1 : 0,
      params.logs,
      params.copy,
    );
    await this.ctx.storage.setAlarm(Date.now());
    return { id: params.id, status: "queued" };
  }

  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<Row>(`SELECT id, done, alarms, interval_ms, fetch, logs, copy FROM g`).toArray()[0];
    if (row === undefined) return;
    if (row.fetch === 1 && this.env.UPSTREAM_URL !== "") {
      const response = await fetch(`${this.env.UPSTREAM_URL}/floor-poll?id=${row.id}`);
      await response.arrayBuffer();
    }
    const done = row.done + 1;
    sql.exec(`UPDATE g SET done = ?`, done);
    if (done === 1) {
      console.log(`floor.submitted ${row.id}`);
      for (let i = 0; i < row.logs; i++)
        console.log(JSON.stringify({ level: "info", event: "floor.log", id: row.id, i }));
    }
    if (done < row.alarms) {
      await this.ctx.storage.setAlarm(Date.now() + row.interval_ms);
      return;
    }
    if (row.copy > 0 && this.env.UPSTREAM_URL !== "") {
      const video = await fetch(`${this.env.UPSTREAM_URL}/__bytes?n=${row.copy}`);
      if (video.body !== null) await this.env.FLOOR_VIDEOS.put(`videos/${row.id}.mp4`, video.body);
    }
    console.log(`floor.done ${row.id}`);
  }
}

/** The per-client index: one row per create, as the relay's reservation. */
export class FloorIndex extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS entries (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`);
  }

  async record(id: string): Promise<void> {
    this.ctx.storage.sql.exec(`INSERT INTO entries (id, created_at) VALUES (?, ?)`, id, Date.now());
  }
}

/**
 * For the keep-alive experiment (docs/benchmarks.md): `n` requests to
 * UPSTREAM_URL one after another, with `method` (GET or POST, a small JSON
 * body); the gap before request i is `gap_ms + (i mod period) × step_ms`, a
 * sweep repeated every `period` requests. Answers how many failed, at which
 * gaps and with what message. Requests in a row from one isolate go over
 * workerd's pooled connection, so a gap near the server's keep-alive timeout
 * puts each reuse where the server is closing the connection.
 */
async function upstreamProbe(url: URL, env: FloorEnv): Promise<Response> {
  if (env.UPSTREAM_URL === "") return Response.json({ error: "UPSTREAM_URL is not set" }, { status: 400 });
  const n = intParam(url, "n", 10, 1, 1000);
  const gapMs = intParam(url, "gap_ms", 1000, 0, 600_000);
  const stepMs = intParam(url, "step_ms", 0, 0, 10_000);
  const period = intParam(url, "period", n, 1, 1000);
  const method = url.searchParams.get("method") === "POST" ? "POST" : "GET";
  const failures: { at: number; gapMs: number; message: string }[] = [];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const gap = gapMs + (i % period) * stepMs;
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, gap));
    try {
      const response = await fetch(`${env.UPSTREAM_URL}/floor-probe`, {
        method,
        ...(method === "POST" ? { body: JSON.stringify({ i }), headers: { "Content-Type": "application/json" } } : {}),
      });
      await response.arrayBuffer();
      ok++;
    } catch (error) {
      failures.push({ at: i, gapMs: gap, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return Response.json({ n, ok, failed: failures.length, failures });
}

/** A query parameter as a whole number in [min, max], else `fallback`. */
function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const value = Number(url.searchParams.get(name) ?? fallback);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    if (url.pathname === "/upstream-probe") return upstreamProbe(url, env);
    if (url.pathname === "/index-only" && request.method === "POST") {
      // What one object sustains: each request one RPC writing one row in the one index object.
      await env.FLOOR_INDEX.getByName("client").record(crypto.randomUUID());
      return new Response(null, { status: 202 });
    }
    if (url.pathname !== "/create" || request.method !== "POST") return new Response("not found", { status: 404 });
    const body = await request.text();
    try {
      JSON.parse(body);
    } catch {
      return Response.json({ error: "body is not JSON" }, { status: 400 });
    }
    if (env.CREATE_RATE !== undefined && !(await env.CREATE_RATE.limit({ key: "client" })).success) {
      return Response.json({ error: "rate limited" }, { status: 429 });
    }
    const id = crypto.randomUUID();
    if (url.searchParams.get("index") === "1") await env.FLOOR_INDEX.getByName("client").record(id);
    const generation = await env.FLOOR_GENERATION.getByName(id).start({
      id,
      body,
      alarms: intParam(url, "alarms", 6, 1, 1000),
      intervalMs: intParam(url, "interval_ms", 200, 1, 86_400_000),
      fetch: url.searchParams.get("fetch") === "1",
      logs: intParam(url, "logs", 0, 0, 1000),
      copy: intParam(url, "copy", 0, 0, 64 * 1024 * 1024),
    });
    return Response.json(generation, { status: 202 });
  },
} satisfies ExportedHandler<FloorEnv>;
