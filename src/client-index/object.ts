/**
 * One Durable Object per client (binding CLIENT_INDEX, named by the client):
 * its generations' summary rows, active count, idempotency keys, deleted ids
 * and open streams. A thin shell: the rows are entries.ts, the stream slots
 * streams.ts, the alarm's reconciliation reconcile.ts, the tables schema.ts.
 */
import { DurableObject } from "cloudflare:workers";
import {
  IndexEntries,
  type Forgetting,
  type IndexEntry,
  type ListSummariesParams,
  type ReserveParams,
  type ReserveResult,
  type Usage,
} from "./entries.ts";
import { reconcile, RECONCILE_EVERY_MS } from "./reconcile.ts";
import { ensureSchema } from "./schema.ts";
import { StreamSlots } from "./streams.ts";
import type { GenerationSummary } from "../generation/view.ts";

export class ClientIndexObject extends DurableObject<Env> {
  private readonly entries: IndexEntries;
  private readonly streams: StreamSlots;
  /**
   * When the alarm is set for, as this instance last set or read it (null:
   * none); undefined when not known (before the first read, and from the
   * moment an alarm is delivered). Spares a storage read on every create.
   */
  private alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ensureSchema(ctx.storage);
    this.entries = new IndexEntries(ctx.storage.sql);
    this.streams = new StreamSlots(ctx.storage.sql);
  }

  async reserve(params: ReserveParams): Promise<ReserveResult> {
    const now = Date.now();
    const result = this.entries.reserve(params, now);
    if (result.kind === "created") await this.alarmBy(now + RECONCILE_EVERY_MS);
    return result;
  }

  async record(entry: IndexEntry): Promise<void> {
    const taken = this.entries.record(entry);
    if (taken && entry.holdsSlot) await this.alarmBy(Date.now() + RECONCILE_EVERY_MS);
  }

  async forget(id: string, forgetting: Forgetting): Promise<void> {
    const now = Date.now();
    this.entries.forget(id, forgetting, now);
    await this.alarmBy(this.entries.prune(now) ?? now + RECONCILE_EVERY_MS);
  }

  async releaseSlot(id: string, spent: { credits: number | null; month: string }): Promise<void> {
    this.entries.releaseSlot(id, spent.credits, spent.month);
  }

  async isForgotten(id: string): Promise<boolean> {
    return this.entries.isForgotten(id);
  }

  async usage(sinceMs: number | null, month: string): Promise<Usage & { creditsUsed: number }> {
    return { ...this.entries.usage(sinceMs), creditsUsed: this.entries.creditsUsed(month) };
  }

  async listSummaries(params: ListSummariesParams): Promise<{ data: GenerationSummary[]; nextCursor: string | null }> {
    return this.entries.listSummaries(params);
  }

  async acquireStream(token: string, untilMs: number, max: number): Promise<boolean> {
    return this.streams.acquire(token, untilMs, max, Date.now());
  }

  async releaseStream(token: string): Promise<void> {
    this.streams.release(token);
  }

  override async alarm(): Promise<void> {
    // A reserve or record while this runs reads the alarm afresh.
    this.alarmAt = undefined;
    const next = await reconcile(this.env, this.entries, Date.now());
    if (next !== null) await this.ctx.storage.setAlarm(next);
    this.alarmAt = undefined;
  }

  /** Makes sure the alarm fires no later than `at`. */
  private async alarmBy(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
