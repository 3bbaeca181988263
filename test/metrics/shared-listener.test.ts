import { describe, expect, test } from "bun:test";
import { ListenerHub, routeByHost, type ListenerMember } from "../../src/homeserver.ts";
import { freePort, refused, startListening } from "./listening.ts";

const loopback = ["127.0.0.1"];

async function wellKnown(port: number, host: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/.well-known/matrix/client`, { headers: { host } });
  return { status: res.status, body: await res.json() };
}

describe("homeservers sharing a listener", () => {
  test("one server on the port routes by Host to server_name or public_baseurl; unknown hosts get 404", async () => {
    const hub = new ListenerHub(100);
    const port = freePort();
    const listeners = [{ port, bind_addresses: loopback, resources: [{ names: ["client"] }] }];
    const a = await startListening({
      serverName: "a.shared.test",
      listenerHub: hub,
      config: { public_baseurl: "https://matrix.a.example/", listeners },
    });
    const b = await startListening({ serverName: "b.shared.test", listenerHub: hub, config: { listeners } });
    try {
      expect(hub.size).toBe(1);
      expect((await wellKnown(port, "a.shared.test")).body["m.homeserver"].base_url).toBe("https://matrix.a.example/");
      expect((await wellKnown(port, "MATRIX.A.EXAMPLE:8448")).body["m.homeserver"].base_url).toBe("https://matrix.a.example/");
      expect((await wellKnown(port, `b.shared.test:${port}`)).body["m.homeserver"].base_url).toBe(`http://b.shared.test:${port}/`);
      const unknown = await wellKnown(port, "c.shared.test");
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });

      // Stopping one homeserver leaves the other serving on the same port.
      await a.stop();
      expect((await wellKnown(port, "b.shared.test")).status).toBe(200);
      expect(hub.size).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
    }
    expect(hub.size).toBe(0);
    expect(await refused(`http://127.0.0.1:${port}/`)).toBe(true);
  });

  test("routing rules", () => {
    const member = (serverName: string, hosts: string[], anyHost = false): ListenerMember => ({
      serverName,
      hosts,
      anyHost,
      fetch: () => new Response(serverName),
    });
    const a = member("a", ["a.example", "matrix.a.example"]);
    const b = member("b", ["b.example"]);
    const m = member("metrics", [], true);
    expect(routeByHost(new Set([a]), "anything.example")).toBe(a);
    expect(routeByHost(new Set([a, b]), "b.example:8008")).toBe(b);
    expect(routeByHost(new Set([a, b]), "matrix.a.example")).toBe(a);
    expect(routeByHost(new Set([a, b]), "c.example")).toBeUndefined();
    expect(routeByHost(new Set([a, b]), null)).toBeUndefined();
    expect(routeByHost(new Set([a, m]), "c.example")).toBe(m);
  });
});
