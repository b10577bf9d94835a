/**
 * What a generation costs upstream, and the bounds on a client's spend:
 * credits read from the upstream's answers (the latest figure replaces the
 * earlier one), summed per client and UTC month in its index, a monthly
 * budget (CREDIT_BUDGETS: carol may use 2,500), and slots that a canceled or
 * purged generation keeps for as long as its paid upstream task runs.
 *
 * carol and dave are used by this file alone, so their sums are exact.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Generation } from "../../src/api/schemas.ts";
import type { ClientIndexObject } from "../../src/client-index/object.ts";
import { monthEndsAt, utcMonth } from "../../src/lib/months.ts";
import { expectGone, expectGoneButTaskAccounted } from "./erasure.ts";
import {
  call,
  create,
  expectNativeError,
  get,
  postJson,
  stepUntil,
  stubOf,
  timeline,
  uniquePrompt,
  upstreamStats,
  waitForSubmission,
} from "./helpers.ts";
import { activeCountOf } from "./index-helpers.ts";

interface Credits {
  month: string;
  used: number;
  budget: number | null;
  resets_at: string;
}

async function creditsOf(client: "carol" | "dave"): Promise<Credits> {
  const response = await call("/v1/usage", { as: client });
  expect(response.status).toBe(200);
  return (await response.json<{ credits: Credits }>()).credits;
}

/** Creates a generation as `client` and waits until its submission (and so its credit figure) is in. */
async function createSubmitted(client: "carol" | "dave", directives: string): Promise<Generation> {
  const created = await create({ prompt: uniquePrompt(directives) }, client);
  await waitForSubmission(created.id);
  return created;
}

describe("credits", () => {
  it("records the create answer's figure, then replaces it with the status answers' (never adds them)", async () => {
    const before = (await creditsOf("dave")).used;
    const created = await createSubmitted("dave", "credits=1000 pollcredits=1200 steps=generating,completed");
    expect((await get(created.id, "dave")).upstream.credits).toBe(1000);
    expect((await creditsOf("dave")).used).toBe(before + 1000);

    const done = await stepUntil(created.id, (state) => state.status === "completed");
    expect(done.upstream.credits).toBe(1200);
    expect((await creditsOf("dave")).used).toBe(before + 1200);
    const entries = (await timeline(created.id, "dave")).filter((entry) => entry.type === "upstream.credits");
    expect(entries.map((entry) => entry.detail)).toEqual([{ credits: 1000 }, { credits: 1200 }]);
  });

  it("sums the client's generations of the UTC month, and keeps what purged ones cost", async () => {
    const before = await creditsOf("dave");
    const month = utcMonth(Date.now());
    expect(before).toMatchObject({ month, budget: null, resets_at: monthEndsAt(month) });
    const kept = await createSubmitted("dave", "credits=300 steps=completed");
    const purged = await createSubmitted("dave", "credits=400 steps=completed");
    await stepUntil(kept.id, (state) => state.status === "completed");
    await stepUntil(purged.id, (state) => state.status === "completed");
    expect((await creditsOf("dave")).used).toBe(before.used + 700);
    expect((await call(`/v1/generations/${purged.id}?purge=true`, { method: "DELETE", as: "dave" })).status).toBe(200);
    await expectGone(purged.id, { signedVideoUrl: null, client: "dave" });
    // Deleting data never refunds a budget.
    expect((await creditsOf("dave")).used).toBe(before.used + 700);
  });

  it("counts a generation in the month it was created: last month's credits are not this month's", async () => {
    const before = (await creditsOf("dave")).used;
    const created = await createSubmitted("dave", "credits=5000 steps=completed");
    expect((await creditsOf("dave")).used).toBe(before + 5000);
    await moveSpendToLastMonth("dave", created.id);
    expect((await creditsOf("dave")).used).toBe(before);
  });
});

/** As if `id` (or every generation, without one) had been created last month: its spend row moves there. */
async function moveSpendToLastMonth(client: string, id?: string): Promise<void> {
  const now = new Date();
  const lastMonth = utcMonth(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  await runInDurableObject(env.CLIENT_INDEX.getByName(client), (_instance: ClientIndexObject, ctx) => {
    if (id === undefined) ctx.storage.sql.exec(`UPDATE spend SET month = ?`, lastMonth);
    else ctx.storage.sql.exec(`UPDATE spend SET month = ? WHERE id = ?`, lastMonth, id);
  });
}

describe("a monthly budget (carol: 2,500 credits)", () => {
  it("refuses the create after the budget is reached (402; 403 on the compatible paths), nothing created, until the month turns", async () => {
    for (let i = 0; i < 3; i++) await createSubmitted("carol", "credits=1000 steps=generating");
    const credits = await creditsOf("carol");
    expect(credits).toMatchObject({ used: 3000, budget: 2500 });

    const prompt = uniquePrompt("credits=1000");
    const refused = await postJson("/v1/generations", { prompt }, { as: "carol" });
    const error = await expectNativeError(refused, 402, "budget_exceeded");
    expect(error.details).toEqual([
      {
        field: "CREDIT_BUDGETS",
        rule: "budget",
        message: error.message,
        budget: 2500,
        used: 3000,
        resets_at: credits.resets_at,
      },
    ]);
    expect(error.message).toContain("2500");
    expect(error.message).toContain(credits.resets_at);

    const compat = await postJson("/v2/video/generations", { prompt }, { as: "carol" });
    expect(compat.status).toBe(403);
    const body = await compat.json<{ message: string; statusCode: number }>();
    expect(body.statusCode).toBe(403);
    expect(body.message).toContain("CREDIT_BUDGETS");
    // Nothing was created or sent for the refused ones.
    expect((await upstreamStats({ prompt })).submits).toBe(0);

    // A new month: the budget starts again.
    await moveSpendToLastMonth("carol");
    expect((await creditsOf("carol")).used).toBe(0);
    const accepted = await postJson("/v1/generations", { prompt: uniquePrompt() }, { as: "carol" });
    expect(accepted.status).toBe(202);
  });
});

describe("slots follow the upstream work", () => {
  it("keeps a canceled generation's slot while its upstream task runs, and frees it when the task ends", async () => {
    const index = env.CLIENT_INDEX.getByName("dave");
    const created = await createSubmitted("dave", "steps=generating,generating,completed");
    const held = await activeCountOf(index);
    expect((await call(`/v1/generations/${created.id}`, { method: "DELETE", as: "dave" })).status).toBe(200);
    expect(await activeCountOf(index)).toBe(held);
    await stepUntil(created.id, (state) => state.upstream.task === "ended");
    expect(await activeCountOf(index)).toBe(held - 1);
    expect((await get(created.id, "dave")).status).toBe("canceled");
  });

  it("keeps a purged generation's slot, and nothing of its data, while its upstream task runs", async () => {
    const index = env.CLIENT_INDEX.getByName("dave");
    const prompt = uniquePrompt("credits=900 pollcredits=950 steps=generating,generating,completed");
    const created = await create({ prompt, metadata: { secret: "shh" } }, "dave");
    await waitForSubmission(created.id);
    const held = await activeCountOf(index);
    const before = (await creditsOf("dave")).used;

    expect((await call(`/v1/generations/${created.id}?purge=true`, { method: "DELETE", as: "dave" })).status).toBe(200);
    await expectGoneButTaskAccounted(created.id, { signedVideoUrl: null, client: "dave" });
    expect(await activeCountOf(index)).toBe(held);

    // The task runs to its end upstream; its final figure is counted, then every row goes.
    for (let i = 0; i < 3; i++) await runDurableObjectAlarm(stubOf(created.id));
    expect((await upstreamStats({ prompt })).polls).toBe(3);
    expect(await activeCountOf(index)).toBe(held - 1);
    expect((await creditsOf("dave")).used).toBe(before - 900 + 950);
    await expectGone(created.id, { signedVideoUrl: null, client: "dave" });
  });
});
