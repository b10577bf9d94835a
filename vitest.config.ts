import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import {
  TEST_CREDIT_BUDGETS,
  TEST_RELAY_API_KEYS,
  TEST_UPSTREAM_KEY,
  TEST_WEBHOOK_SECRET,
} from "./test/support/constants.ts";

/** The Worker inside workerd, against the local fake upstream and webhook receiver, with these vars on top. */
const workerd = (vars: Record<string, string>) =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.jsonc" },
    miniflare: {
      bindings: {
        AIMLAPI_BASE_URL: inject("upstreamUrl"),
        AIMLAPI_KEY: TEST_UPSTREAM_KEY,
        RELAY_API_KEYS: TEST_RELAY_API_KEYS,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        WEBHOOK_ALLOW_PRIVATE: "true",
        WEBHOOK_TIMEOUT_SECONDS: "2",
        MAX_ACTIVE_PER_KEY: "100",
        CREDIT_BUDGETS: TEST_CREDIT_BUDGETS,
        ...vars,
      },
    },
  }));

export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    // The relay's lifecycle log lines (src/lib/log.ts) are many and routine: not printed. Warnings and errors are.
    onConsoleLog: (log) => !log.startsWith('{"level":"info"'),
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
        // Alarms are stepped by hand (runDurableObjectAlarm): a long poll
        // interval and retry schedule keep them from also firing on their own
        // mid-test, and a stepped alarm performs the work it was set for.
        extends: true,
        plugins: [workerd({ POLL_INTERVAL_SECONDS: "30", WEBHOOK_RETRY_SCHEDULE_SECONDS: "30,30,30" })],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          exclude: ["test/workers/realtime/**", "test/workers/retention/**"],
          testTimeout: 30_000,
        },
      },
      {
        // The same with RETENTION_SECONDS set: a finished generation is
        // deleted by its alarm (stepped by hand; 60 s keeps it from firing on
        // its own mid-test). Separate, because every other workers test
        // expects finished generations to stay.
        extends: true,
        plugins: [
          workerd({
            POLL_INTERVAL_SECONDS: "30",
            WEBHOOK_RETRY_SCHEDULE_SECONDS: "30,30,30",
            RETENTION_SECONDS: "60",
          }),
        ],
        test: {
          name: "workers-retention",
          include: ["test/workers/retention/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // The same, in real time: short deadlines and intervals, alarms
        // firing on their own, tests waiting for the state they expect.
        extends: true,
        plugins: [
          workerd({
            POLL_INTERVAL_SECONDS: "0.1",
            GENERATION_TIMEOUT_SECONDS: "2",
            WEBHOOK_RETRY_SCHEDULE_SECONDS: "0.2,0.2",
          }),
        ],
        test: {
          name: "workers-realtime",
          include: ["test/workers/realtime/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
