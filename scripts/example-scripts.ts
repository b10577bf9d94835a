/**
 * A published example script made ready to run against a relay
 * (scripts/run-published-examples.ts): the documentation's base URL and key
 * placeholder replaced, nothing else touched.
 */

/** The script with the relay's base URL and `key` in place of the documentation's. */
export function adaptScript(text: string, baseUrl: string, key: string): string {
  return (
    text
      .replaceAll("https://api.aimlapi.com", baseUrl)
      // `<YOUR_AIMLAPI_KEY>`, `<YOUR_API_KEY>`, and the same with its `<` written as an HTML entity.
      .replace(/(?:<|&#x3C;)YOUR_[A-Z_]*KEY>/g, key)
      // The older Kling, MiniMax and Runway pages write the key as `Bearer my_key`.
      .replace(/Bearer (?:my_key|token)\b/g, `Bearer ${key}`)
  );
}

/** Whether a JavaScript script talks through Node's `https` module, which refuses an http:// URL. */
export function usesHttpsModule(text: string): boolean {
  return /require\(\s*["'](?:node:)?https["']\s*\)|from\s+["'](?:node:)?https["']/.test(text);
}
