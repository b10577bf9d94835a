// Secrets are not in wrangler.jsonc, so `wrangler types` cannot see them.
// They are optional: each one has a documented behaviour when unset.
interface Env {
  AIMLAPI_KEY?: string;
  RELAY_API_KEYS?: string;
  WEBHOOK_SECRET?: string;
  URL_SIGNING_SECRET?: string;
}

declare module "*.mp4" {
  const data: ArrayBuffer;
  export default data;
}

/** HTML pages, bundled as text (the `Text` rule in wrangler.jsonc). */
declare module "*.html" {
  const text: string;
  export default text;
}
