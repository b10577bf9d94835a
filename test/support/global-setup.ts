/**
 * Starts the real local servers the tests talk to: an imitation of the AI/ML
 * API and a scripted webhook receiver. Their URLs reach the tests (and the
 * Worker's bindings) through vitest's provide/inject.
 */
import type { TestProject } from "vitest/node";
import { startFakeAimlapi } from "./fake-aimlapi.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";
import { TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "./constants.ts";
import { clientWebhookSecret } from "../../src/webhook/client-secret.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const upstream = await startFakeAimlapi({ apiKey: TEST_UPSTREAM_KEY, hangMs: 20_000 });
  // Webhooks are signed with the owning client's secret (docs/api.md#webhooks): most tests create as alice.
  const receiver = await startWebhookReceiver({
    hangMs: 20_000,
    secret: await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice"),
    verifyAlsoWith: {
      alice: await clientWebhookSecret(TEST_WEBHOOK_SECRET, "alice"),
      bob: await clientWebhookSecret(TEST_WEBHOOK_SECRET, "bob"),
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    },
  });
  project.provide("upstreamUrl", upstream.url);
  project.provide("receiverUrl", receiver.url);
  return async () => {
    await Promise.all([upstream.close(), receiver.close()]);
  };
}
