// Types for the tests that import the CLI's plain-JavaScript module (bin/lib/inputs.mjs).
export declare const MEDIA_TYPES: Readonly<Record<string, string>>;
export declare function parseInputValue(text: string): unknown;
export declare function parseInputs(pairs: readonly string[], command?: string): Record<string, unknown>;
export declare function fileToDataUri(path: string, command?: string): string;
export declare function mentionsFile(value: unknown): boolean;
export declare function filesToDataUris(schema: unknown, value: unknown, command?: string): unknown;
