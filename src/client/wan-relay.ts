/**
 * `WanRelay`: the relay's native API (`/v1`) over fetch, typed from the
 * OpenAPI document the Worker serves (see types.ts). Runs wherever fetch,
 * web streams and WebCrypto do: Node >= 18, Workers, browsers.
 */
import { checkedDownload } from "./checked-download.ts";
import { CLIENT_ERROR_CODES, describeCause, errorFromResponse, WanRelayError } from "./errors.ts";
import { followStream, isFinished } from "./follow-stream.ts";
import { Paginated } from "./paginate.ts";
import { environmentVariable, linkedAbort, sleep } from "./runtime.ts";
import type {
  Canceled,
  CreateGenerationRequest,
  EventList,
  EventsQuery,
  Generation,
  GenerationList,
  ListQuery,
  Model,
  ModelList,
  Purged,
  TimelineEvent,
  Usage,
  UsageQuery,
  WebhookSecret,
  WebhookTestResult,
} from "./types.ts";

/** Per request: the relay answers from its own state, never waiting on the upstream. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How often `wait` reads the generation once the live stream is cut. */
export const POLL_INTERVAL_MS = 2_000;
/** While polling, transient failures (network, 429, 5xx) tolerated in a row before `wait` gives up. */
const MAX_CONSECUTIVE_POLL_FAILURES = 5;

export interface WanRelayOptions {
  /** The relay's origin (a path prefix is kept). In Node, default `WAN_RELAY_URL`. */
  url?: string;
  /** A client key from the relay's RELAY_API_KEYS. In Node, default `WAN_RELAY_KEY`. */
  key?: string;
  /** Default the global fetch. */
  fetch?: typeof fetch;
  /** Per request, until the answer is read (streams: until its headers). Default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface CreateOptions extends RequestOptions {
  /** The same key with the same body returns the same generation and never submits twice (24 h). */
  idempotencyKey?: string;
}

export interface WaitOptions extends RequestOptions {
  /** Called with the generation at each change seen, starting with its state when the wait begins. */
  onUpdate?: (generation: Generation) => void;
  /** Called when the live stream is cut (polling takes over) and when a poll fails and is retried. */
  onRetry?: (error: WanRelayError) => void;
  /** Polling interval once the live stream is cut. Default POLL_INTERVAL_MS. */
  pollIntervalMs?: number;
}

type QueryValues = Readonly<Record<string, string | number | undefined>>;

interface CallOptions extends RequestOptions {
  query?: QueryValues;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
  /** false: no Authorization header (the public document). */
  authorize?: boolean;
}

/** An answer whose body is still to be read: `abort` ends the request, `release` detaches the caller's signal. */
interface OpenResponse {
  response: Response;
  abort: () => void;
  release: () => void;
}

const generationPath = (id: string): string => `/v1/generations/${encodeURIComponent(id)}`;
/** A model id keeps its `/` in the path (`/v1/models/google/veo-3.1-t2v`); each segment is encoded. */
const modelPath = (id: string): string => `/v1/models/${id.split("/").map(encodeURIComponent).join("/")}`;

function baseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WanRelayError(`not a valid URL: ${raw}`, { code: CLIENT_ERROR_CODES.configuration });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new WanRelayError(`the URL must be http: or https:, got ${raw}`, { code: CLIENT_ERROR_CODES.configuration });
  }
  // Keep a path prefix if the relay is mounted under one, without a trailing slash.
  return url.origin + url.pathname.replace(/\/+$/, "");
}

export class WanRelay {
  /** The relay's origin (and path prefix), without a trailing slash. */
  readonly url: string;
  readonly #key: string;
  readonly #fetch: typeof fetch | undefined;
  readonly #timeoutMs: number;
  #defaultModel: Promise<string> | null = null;

  constructor(options: WanRelayOptions = {}) {
    const url = options.url ?? environmentVariable("WAN_RELAY_URL");
    const key = (options.key ?? environmentVariable("WAN_RELAY_KEY"))?.trim();
    if (url === undefined) {
      throw new WanRelayError("no relay URL: pass { url } or set WAN_RELAY_URL", {
        code: CLIENT_ERROR_CODES.configuration,
      });
    }
    if (key === undefined || key === "") {
      throw new WanRelayError("no API key: pass { key } or set WAN_RELAY_KEY", {
        code: CLIENT_ERROR_CODES.configuration,
      });
    }
    this.url = baseUrl(url);
    this.#key = key;
    this.#fetch = options.fetch;
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** `POST /v1/generations`: the model's input fields (`model` absent: the relay's default) and the relay's own. */
  create(body: CreateGenerationRequest, options: CreateOptions = {}): Promise<Generation> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers["Idempotency-Key"] = options.idempotencyKey;
    return this.#json<Generation>("POST", "/v1/generations", { ...options, body, headers });
  }

  /** `GET /v1/generations/{id}`. */
  get(id: string, options: RequestOptions = {}): Promise<Generation> {
    return this.#json<Generation>("GET", generationPath(id), options);
  }

  /**
   * `GET /v1/generations`, newest first: `await` it for one page, or
   * `for await (const generation of relay.list())` for all of them.
   */
  list(query: ListQuery = {}, options: RequestOptions = {}): Paginated<Generation, GenerationList> {
    const { cursor, ...rest } = query;
    return new Paginated(
      (next) => this.#json<GenerationList>("GET", "/v1/generations", { ...options, query: { ...rest, cursor: next } }),
      cursor,
    );
  }

  /** `DELETE /v1/generations/{id}`: cancels a generation that has not ended (409 `already_terminal` otherwise). */
  cancel(id: string, options: RequestOptions = {}): Promise<Canceled> {
    return this.#json<Canceled>("DELETE", generationPath(id), options);
  }

  /** `DELETE /v1/generations/{id}?purge=true`: deletes it and everything stored for it, canceling it first. */
  purge(id: string, options: RequestOptions = {}): Promise<Purged> {
    return this.#json<Purged>("DELETE", generationPath(id), { ...options, query: { purge: "true" } });
  }

  /** `GET /v1/generations/{id}/events`: the timeline, oldest first, one page or (`for await`) all of it. */
  events(id: string, query: EventsQuery = {}, options: RequestOptions = {}): Paginated<TimelineEvent, EventList> {
    const { cursor, ...rest } = query;
    return new Paginated(
      (next) =>
        this.#json<EventList>("GET", `${generationPath(id)}/events`, { ...options, query: { ...rest, cursor: next } }),
      cursor,
    );
  }

  /** `POST /v1/generations/{id}/webhook/redeliver`: sends the latest terminal webhook again. */
  redeliverWebhook(id: string, options: RequestOptions = {}): Promise<Generation> {
    return this.#json<Generation>("POST", `${generationPath(id)}/webhook/redeliver`, options);
  }

  /** `GET /v1/models`: the catalogue, each model's id, kind and inputs (JSON Schema). */
  models(options: RequestOptions = {}): Promise<ModelList> {
    return this.#json<ModelList>("GET", "/v1/models", options);
  }

  /** `GET /v1/models/{id}`: one model (404 `not_found` for an id the relay does not serve). */
  model(id: string, options: RequestOptions = {}): Promise<Model> {
    return this.#json<Model>("GET", modelPath(id), options);
  }

  /**
   * The model a create without `model` gets, as the relay's own OpenAPI
   * document declares it (the `default` of the create body's `model`). Read
   * once per client.
   */
  defaultModel(options: RequestOptions = {}): Promise<string> {
    this.#defaultModel ??= this.#json<unknown>("GET", "/openapi.json", { ...options, authorize: false }).then(
      (document) => {
        const model = declaredDefaultModel(document);
        if (model === null) {
          throw new WanRelayError("the relay's OpenAPI document declares no default model", {
            code: CLIENT_ERROR_CODES.unexpectedResponse,
          });
        }
        return model;
      },
    );
    this.#defaultModel.catch(() => (this.#defaultModel = null));
    return this.#defaultModel;
  }

  /** `GET /v1/usage`: this key's generations by status and model, and its stored videos. */
  usage(query: UsageQuery = {}, options: RequestOptions = {}): Promise<Usage> {
    return this.#json<Usage>("GET", "/v1/usage", { ...options, query });
  }

  /** `GET /v1/webhooks/secret`: this key's `whsec_…` secret, to give `verifyWebhook`. */
  async webhookSecret(options: RequestOptions = {}): Promise<string> {
    return (await this.#json<WebhookSecret>("GET", "/v1/webhooks/secret", options)).key;
  }

  /**
   * `POST /v1/webhooks/test`: the relay sends one signed `webhook.test` event
   * to `url` (same URL policy and secret as real webhooks) and answers how
   * that attempt went: the receiver's `status` (null without an answer), its
   * `duration_ms`, and an `error` when a real webhook would count it as failed.
   */
  testWebhook(url: string, options: RequestOptions = {}): Promise<WebhookTestResult> {
    return this.#json<WebhookTestResult>("POST", "/v1/webhooks/test", { ...options, body: { url } });
  }

  /**
   * The generation once it has ended (completed, failed or canceled; check
   * `status`). Follows `GET /v1/generations/{id}/stream` (server-sent events)
   * and, only if that stream is cut, reads the generation every
   * `pollIntervalMs` instead. Throws the API's error (404 for an unknown id),
   * or the signal's reason when it aborts; the generation keeps running.
   */
  async wait(generation: string | Generation, options: WaitOptions = {}): Promise<Generation> {
    const { signal, onUpdate, onRetry } = options;
    if (typeof generation !== "string" && isFinished(generation)) {
      onUpdate?.(generation);
      return generation;
    }
    const id = typeof generation === "string" ? generation : generation.id;
    try {
      const final = await this.#follow(id, onUpdate, signal);
      if (final !== null) return final;
      onRetry?.(
        new WanRelayError("the live stream ended before the generation did", { code: CLIENT_ERROR_CODES.network }),
      );
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      // A refused or unknown generation is an answer, not a cut: polling would only repeat it.
      if (!(error instanceof WanRelayError) || !error.transient) throw error;
      onRetry?.(error);
    }
    return this.#poll(id, options);
  }

  /**
   * The stored video as a stream of bytes, checked on the way: it ends with a
   * WanRelayError `checksum_mismatch` instead of closing unless the bytes hash
   * to `video.sha256`. Given an id, the generation is read first for that hash.
   */
  async download(generation: string | Generation, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const current = typeof generation === "string" ? await this.get(generation, options) : generation;
    if (current.video === null) {
      throw new WanRelayError(`generation ${current.id} has no stored video (status ${current.status})`, {
        code: CLIENT_ERROR_CODES.noVideo,
      });
    }
    const { response, abort, release } = await this.#open("GET", `${generationPath(current.id)}/video`, options);
    if (response.body === null) {
      release();
      throw new WanRelayError("the video answer has no body", { code: CLIENT_ERROR_CODES.unexpectedResponse });
    }
    return checkedDownload(response.body, { sha256: current.video.sha256, abortRequest: abort, onEnd: release });
  }

  /** The terminal Generation from the live stream, or null when the stream ended without it. */
  async #follow(
    id: string,
    onUpdate: ((generation: Generation) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Generation | null> {
    const { response, abort, release } = await this.#open("GET", `${generationPath(id)}/stream`, {
      signal,
      headers: { Accept: "text/event-stream" },
    });
    try {
      if (response.body === null) return null;
      return await followStream(response.body, (generation) => onUpdate?.(generation), abort);
    } finally {
      release();
    }
  }

  async #poll(id: string, options: WaitOptions): Promise<Generation> {
    const { signal, onUpdate, onRetry } = options;
    const intervalMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
    let failures = 0;
    let seen = "";
    for (let first = true; ; first = false) {
      if (!first) await sleep(intervalMs, signal);
      let generation: Generation;
      try {
        generation = await this.get(id, { signal });
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason;
        if (!(error instanceof WanRelayError) || !error.transient || ++failures > MAX_CONSECUTIVE_POLL_FAILURES) {
          throw error;
        }
        onRetry?.(error);
        continue;
      }
      failures = 0;
      const version = `${generation.updated_at}|${generation.status}|${generation.upstream.polls}`;
      if (version !== seen) {
        seen = version;
        onUpdate?.(generation);
      }
      if (isFinished(generation)) return generation;
    }
  }

  /** A request whose JSON answer is read within the timeout. */
  async #json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const { response, abort, release } = await this.#open(method, path, options);
    const timer = setTimeout(abort, this.#timeoutMs);
    try {
      const text = await response.text();
      try {
        return JSON.parse(text) as T;
      } catch (error) {
        throw new WanRelayError(`${method} ${path} answered ${response.status} with a body that is not JSON`, {
          code: CLIENT_ERROR_CODES.unexpectedResponse,
          status: response.status,
          cause: error,
        });
      }
    } catch (error) {
      if (error instanceof WanRelayError) throw error;
      throw this.#noAnswer(error, options.signal, false);
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  /**
   * Sends a request and waits for its headers (within the timeout). A non-2xx
   * answer is thrown as the API's error; a 2xx is handed over with its body
   * unread, still cancelable through the caller's signal until `release`.
   */
  async #open(method: string, path: string, options: CallOptions = {}): Promise<OpenResponse> {
    const url = new URL(this.url + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.authorize !== false) headers["Authorization"] = `Bearer ${this.#key}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    const link = linkedAbort(options.signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      link.abort();
    }, this.#timeoutMs);
    // Looked up at call time (and called unbound: browsers refuse a fetch called on another object).
    const fetchImpl = this.#fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
    let response: Response;
    try {
      response = await fetchImpl(url, { method, headers, body, signal: link.signal });
      // An error's body is short: read it within the same timeout.
      if (!response.ok) throw await errorFromResponse(response);
    } catch (error) {
      link.clear();
      if (error instanceof WanRelayError) throw error;
      throw this.#noAnswer(error, options.signal, timedOut);
    } finally {
      clearTimeout(timer);
    }
    return { response, abort: () => link.abort(), release: () => link.clear() };
  }

  /** A request that got no (complete) answer: the caller's abort as it is, else a timeout or network error. */
  #noAnswer(error: unknown, signal: AbortSignal | undefined, timedOut: boolean): unknown {
    if (signal?.aborted === true) return signal.reason;
    if (timedOut || (error instanceof Error && error.name === "AbortError")) {
      return new WanRelayError(`${this.url} did not answer within ${this.#timeoutMs / 1000}s`, {
        code: CLIENT_ERROR_CODES.timeout,
        cause: error,
      });
    }
    return new WanRelayError(`cannot reach ${this.url}: ${describeCause(error)}`, {
      code: CLIENT_ERROR_CODES.network,
      cause: error,
    });
  }
}

/** `default` of `model` in the create route's body schema, following one `$ref`. */
function declaredDefaultModel(document: unknown): string | null {
  const at = (value: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>(
      (node, key) => (typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      value,
    );
  let schema = at(document, "paths", "/v1/generations", "post", "requestBody", "content", "application/json", "schema");
  const ref = at(schema, "$ref");
  if (typeof ref === "string" && ref.startsWith("#/")) schema = at(document, ...ref.slice(2).split("/"));
  const model = at(schema, "properties", "model", "default");
  return typeof model === "string" ? model : null;
}
