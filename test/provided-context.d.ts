// URLs of the local servers that test/support/global-setup.ts starts.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
    receiverUrl: string;
  }
}
