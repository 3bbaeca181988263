import { MatrixError } from "../http/errors.ts";
import type { FiltersStore } from "../storage/stores/filters.ts";
import { isInlineFilter, parseFilter, parseInlineFilter, type Filter } from "./filter.ts";

/** Uploading and finding sync filters (filter API and /sync?filter=). */
export class FilterService {
  constructor(private readonly store: FiltersStore) {}

  /** Validates and stores a filter; returns its id as the API shows it. */
  async upload(userId: string, body: unknown): Promise<string> {
    const filter = parseFilter(body);
    return String(await this.store.add(userId, filter));
  }

  /** A stored filter, or 404 M_NOT_FOUND. */
  async get(userId: string, filterId: string): Promise<Filter> {
    const id = parseFilterId(filterId);
    const found = id === undefined ? undefined : await this.store.get(userId, id);
    if (!found) throw new MatrixError(404, "M_NOT_FOUND", "No such filter");
    return found as Filter;
  }

  /** Resolves /sync's `filter` parameter: inline JSON or the id of a stored filter. */
  async resolve(userId: string, param: string | undefined): Promise<Filter | undefined> {
    if (param === undefined || param === "") return undefined;
    if (isInlineFilter(param)) return parseInlineFilter(param);
    const id = parseFilterId(param);
    const found = id === undefined ? undefined : await this.store.get(userId, id);
    // Synapse answers an unknown filter id on /sync with 400, not 404.
    if (!found) throw new MatrixError(400, "M_INVALID_PARAM", "No such filter");
    return found as Filter;
  }
}

function parseFilterId(text: string): number | undefined {
  if (!/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}
