import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import {
  TEST_CREDIT_BUDGETS,
  TEST_FUZZ_CLIENT,
  TEST_RELAY_API_KEYS,
  TEST_UPSTREAM_KEY,
  TEST_WEBHOOK_SECRET,
} from "./test/support/constants.ts";

/**
 * The create rate (wrangler.jsonc `ratelimits` CREATE_RATE) of the test
 * projects: far above what any test creates in a minute as one client. The
 * deployed default is tested in its own project (workers-rate-limit).
 */
const TEST_CREATE_RATE = { CREATE_RATE: { namespace_id: "1301", simple: { limit: 1_000_000, period: 60 as const } } };

/**
 * The Worker inside workerd, against the local fake upstream and webhook
 * receiver, with these vars on top; `deployedCreateRate` keeps the create rate
 * of wrangler.jsonc.
 */
const workerd = (vars: Record<string, string>, options: { deployedCreateRate?: boolean } = {}) =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: "./wrangler.jsonc" },
    miniflare: {
      bindings: {
        AIMLAPI_BASE_URL: inject("upstreamUrl"),
        AIMLAPI_KEY: TEST_UPSTREAM_KEY,
        RELAY_API_KEYS: `${TEST_RELAY_API_KEYS},${TEST_FUZZ_CLIENT.name}:${TEST_FUZZ_CLIENT.key}`,
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        WEBHOOK_ALLOW_PRIVATE: "true",
        WEBHOOK_TIMEOUT_SECONDS: "2",
        MAX_ACTIVE_PER_KEY: "100",
        CREDIT_BUDGETS: TEST_CREDIT_BUDGETS,
        ...vars,
      },
      // Merged over wrangler.jsonc's bindings by name, so this replaces CREATE_RATE's limit.
      ...(options.deployedCreateRate === true ? {} : { ratelimits: TEST_CREATE_RATE }),
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
          exclude: ["test/workers/realtime/**", "test/workers/retention/**", "test/workers/rate-limit/**"],
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
        // The same with the create rate of wrangler.jsonc (60 per 60 s per
        // client), which every other project raises out of the way.
        extends: true,
        plugins: [
          workerd(
            { POLL_INTERVAL_SECONDS: "30", WEBHOOK_RETRY_SCHEDULE_SECONDS: "30,30,30" },
            { deployedCreateRate: true },
          ),
        ],
        test: {
          name: "workers-rate-limit",
          include: ["test/workers/rate-limit/**/*.test.ts"],
          // A burst waits for the start of a window when too little of the current one is left.
          testTimeout: 120_000,
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
