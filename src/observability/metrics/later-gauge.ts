import { getLogger } from "@logtape/logtape";
import { ScrapeTimeCollector, type Sample } from "./collector.ts";
import { SERVER_NAME_LABEL } from "./registry.ts";
import { runInLogContext } from "../log-context.ts";

export interface LaterGaugeSample {
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A number (labelled with the registering homeserver's server_name when the
 * gauge's only label is server_name), or samples; a sample's missing
 * server_name label is filled with the registering homeserver's.
 */
export type LaterGaugeHook = () => number | Iterable<LaterGaugeSample>;

export interface LaterGaugeRegistration {
  /** The homeserver object's instance id; null only for process-global hooks. */
  instanceId: string | null;
  /** The registering homeserver's server_name (labels numbers, names the log context of failures). */
  serverName?: string;
  hook: LaterGaugeHook;
}

/**
 * Every LaterGauge of the process by name, so that a stopping homeserver can
 * reach all of them (Synapse's all_later_gauges_to_clean_up_on_shutdown).
 * Module-level on purpose: gauges are process-wide and defined at load.
 */
const allLaterGauges = new Map<string, LaterGauge>();

const log = () => getLogger(["hearth", "metrics"]);

/** A gauge computed at scrape time from hooks registered per homeserver instance (Synapse §5.3). */
export class LaterGauge extends ScrapeTimeCollector {
  readonly #hooks = new Map<string | null, { serverName?: string; hook: LaterGaugeHook }>();

  constructor(opts: { name: string; help: string; labelNames: readonly string[] }) {
    if (allLaterGauges.has(opts.name)) throw new Error(`LaterGauge(name=${opts.name}) already exists`);
    super(opts.name, opts.help, "gauge", opts.labelNames);
    allLaterGauges.set(opts.name, this);
  }

  get hookCount(): number {
    return this.#hooks.size;
  }

  registerHook(reg: LaterGaugeRegistration): void {
    if (this.#hooks.has(reg.instanceId)) {
      throw new Error(
        `LaterGauge(name=${this.name}) hook already registered for homeserver_instance_id=${reg.instanceId}: ` +
          "the previous homeserver with this id did not unregister its hooks",
      );
    }
    this.#hooks.set(reg.instanceId, { serverName: reg.serverName, hook: reg.hook });
  }

  /** Removing a hook that is not there is a no-op. */
  unregisterHooksForInstance(instanceId: string): void {
    this.#hooks.delete(instanceId);
  }

  protected samples(): Sample[] {
    const out: Sample[] = [];
    const onlyServerName = this.labelNames.length === 1 && this.labelNames[0] === SERVER_NAME_LABEL;
    for (const [instanceId, { serverName, hook }] of this.#hooks) {
      let result: ReturnType<LaterGaugeHook>;
      try {
        result = hook();
        if (typeof result !== "number") result = [...result];
      } catch (err) {
        // A broken hook hides only its own samples; the rest of the family is still reported.
        const report = () =>
          log().error("Exception running callback for LaterGauge({name}) for homeserver_instance_id={instanceId}: {error}", {
            name: this.name,
            instanceId,
            error: err,
          });
        if (serverName) runInLogContext({ server_name: serverName, request: "metrics" }, report);
        else report();
        continue;
      }
      if (typeof result === "number") {
        out.push({ labels: onlyServerName && serverName ? { [SERVER_NAME_LABEL]: serverName } : {}, value: result });
        continue;
      }
      for (const s of result) {
        const labels = serverName && !(SERVER_NAME_LABEL in s.labels) && this.labelNames.includes(SERVER_NAME_LABEL)
          ? { ...s.labels, [SERVER_NAME_LABEL]: serverName }
          : s.labels;
        out.push({ labels, value: s.value });
      }
    }
    return out;
  }
}

/** Drops the hooks of one homeserver instance from every LaterGauge. */
export function unregisterLaterGaugeHooks(instanceId: string): void {
  for (const g of allLaterGauges.values()) g.unregisterHooksForInstance(instanceId);
}

/** Total hooks over all LaterGauges (leak tests compare this against a baseline). */
export function laterGaugeHookCount(): number {
  let n = 0;
  for (const g of allLaterGauges.values()) n += g.hookCount;
  return n;
}
