/**
 * Secrets never appear in a response or an event (docs/api.md#errors).
 */
import { describe, expect, it } from "vitest";
import { TEST_CLIENT_KEYS, TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "../support/constants.ts";
import { call, create, isStatus, stepUntil, uniquePrompt } from "./helpers.ts";

const SECRETS = [
  TEST_UPSTREAM_KEY,
  TEST_WEBHOOK_SECRET,
  TEST_WEBHOOK_SECRET.slice("whsec_".length),
  ...Object.values(TEST_CLIENT_KEYS),
];

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe("secrets", () => {
  it("never appear in a generation, its events or its list, whatever happened upstream", async () => {
    for (const directives of ["submit=401", "submit=403", "poll=500 steps=failed", "download=cut"]) {
      const created = await create({
        prompt: uniquePrompt(directives),
        webhook_url: "http://127.0.0.1:9/hook",
        webhook_events: ["started", "completed", "failed", "canceled"],
      });
      await stepUntil(created.id, isStatus("completed", "failed"));
      for (const path of [
        `/v1/generations/${created.id}`,
        `/v1/generations/${created.id}/events`,
        `/v1/generations?limit=100`,
      ]) {
        expectNoSecret(await (await call(path)).text());
      }
    }
  });

  it("never appear in error answers", async () => {
    expectNoSecret(
      await (
        await call("/v1/generations", { as: null, headers: { Authorization: `Bearer ${TEST_CLIENT_KEYS.alice}x` } })
      ).text(),
    );
    expectNoSecret(await (await call("/v2/generate/video/alibaba/generation?generation_id=x", { as: "alice" })).text());
  });
});
