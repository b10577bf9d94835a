import { app } from "./app.ts";

export { GenerationObject } from "./generation/object.ts";
export { ClientIndexObject } from "./client-index/object.ts";
export { KeyringObject } from "./keyring/object.ts";

export default app satisfies ExportedHandler<Env>;
