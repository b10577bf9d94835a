/** Secrets and keys used only by tests (never a deployment's). */
export const TEST_UPSTREAM_KEY = "test-upstream-key";
export const TEST_CLIENT_KEYS = {
  alice: "alice-key-0123456789",
  bob: "bob-key-0123456789",
  /** A bare key (no client name): its generations belong to a hash of it. */
  bare: "bare-key-0123456789",
  /** A client with a monthly credit budget (TEST_CREDIT_BUDGETS), for the spend tests alone. */
  carol: "carol-key-0123456789",
  /** A client of the spend tests alone, without a budget: its sums are not disturbed by other test files. */
  dave: "dave-key-0123456789",
} as const;
export const TEST_RELAY_API_KEYS = [
  `alice:${TEST_CLIENT_KEYS.alice}`,
  `bob:${TEST_CLIENT_KEYS.bob}`,
  TEST_CLIENT_KEYS.bare,
  `carol:${TEST_CLIENT_KEYS.carol}`,
  `dave:${TEST_CLIENT_KEYS.dave}`,
].join(",");
/** CREDIT_BUDGETS of the test relays: carol may use 2,500 upstream credits a month. */
export const TEST_CREDIT_BUDGETS = "carol:2500";
/** Standard Webhooks secret: whsec_ + base64 of 32 bytes. */
export const TEST_WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/vMzQdbOYu0=";
export const TEST_URL_SIGNING_SECRET = "test-url-signing-secret";
