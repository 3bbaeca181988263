import type { LogRecord, Sink } from "@logtape/logtape";
import { formatRecord, setupLogging, type LoggingSetup } from "../../src/observability/logging.ts";

/** Log records captured by the test sink; tests read and clear this. */
export const capturedLogs: LogRecord[] = [];

export const captureSink: Sink = (record) => {
  capturedLogs.push(record);
  if (process.env.HEARTH_TEST_LOG) console.error(formatRecord(record));
};

export function configureTestLogging(levels: Record<string, string> = {}, level = "debug"): Promise<LoggingSetup> {
  return setupLogging({ level, sinks: { capture: captureSink }, levels });
}

export function renderedLogs(): string[] {
  return capturedLogs.map(formatRecord);
}
