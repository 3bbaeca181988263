// Preloaded by bun test (bunfig.toml): every test file logs into the capture sink,
// so tests can assert on log records and the console stays quiet.
import { configureTestLogging } from "./support/logs.ts";

await configureTestLogging();
