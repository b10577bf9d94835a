import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_RELAY_API_KEYS, TEST_UPSTREAM_KEY, TEST_WEBHOOK_SECRET } from "./test/support/constants.ts";

export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      {
        // Pure code and Node-side tools: the lifecycle reducer, URL policy,
        // signing interop, the local test servers, and end-to-end runs of
        // `wrangler dev`.
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["test/unit/**/*.test.ts", "test/node/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The Worker, its Durable Objects, alarms and R2, inside workerd.
        extends: true,
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.jsonc" },
            miniflare: {
              bindings: {
                AIMLAPI_BASE_URL: inject("upstreamUrl"),
                AIMLAPI_KEY: TEST_UPSTREAM_KEY,
                RELAY_API_KEYS: TEST_RELAY_API_KEYS,
                WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
                WEBHOOK_ALLOW_PRIVATE: "true",
                // Alarms are stepped by hand (runDurableObjectAlarm); a long
                // interval keeps them from also firing on their own mid-test.
                POLL_INTERVAL_SECONDS: "30",
                WEBHOOK_RETRY_SCHEDULE_SECONDS: "30,30,30",
                WEBHOOK_TIMEOUT_SECONDS: "2",
                MAX_ACTIVE_PER_KEY: "100",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
