import { app } from "./app.ts";

export { GenerationObject } from "./generation/object.ts";
export { ClientIndexObject } from "./generation/client-index.ts";
export { KeyringObject } from "./lib/keyring-object.ts";

export default app satisfies ExportedHandler<Env>;
