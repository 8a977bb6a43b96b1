import { describe, expect, it } from "vitest";
import { hostRejection, isLoopbackAddress, parseHost } from "./host-check.js";

describe("isLoopbackAddress", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.3.4.5", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.5", false],
    ["128.0.0.1", false],
    ["localhost.example.com", false],
    ["", false],
  ])("%s -> %s", (host, loopback) => expect(isLoopbackAddress(host)).toBe(loopback));
});

describe("parseHost", () => {
  it.each([
    ["localhost:3000", { name: "localhost", port: 3000 }],
    ["LocalHost", { name: "localhost", port: null }],
    ["[::1]:8080", { name: "[::1]", port: 8080 }],
    ["[::1]", { name: "[::1]", port: null }],
    ["dash.example.com:443", { name: "dash.example.com", port: 443 }],
  ])("%s", (value, parsed) => expect(parseHost(value)).toEqual(parsed));

  it.each(["::1", "[::1", "host:", "host:0", "host:70000", "host:80:80", ":80", "[]:80", "[::1]x"])("rejects %s", (value) => {
    expect(parseHost(value)).toBeNull();
  });
});

describe("hostRejection", () => {
  const local = { loopbackOnly: true, allowed: [] };

  it.each(["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "LOCALHOST:3000"])("insecure-local answers %s on port 3000", (host) => {
    expect(hostRejection(host, 3000, local)).toBeNull();
  });

  it.each([
    [
      "evil.example:3000",
      /Host evil.example:3000 refused: without credentials the dashboard answers only localhost, 127.0.0.1 or \[::1\] on port 3000/,
    ],
    ["localhost:3001", /refused/], // the right name on another port (a rebinding page on :3001 proxied to us)
    ["localhost", /refused/], // no port means 80
    ["127.0.0.2:3000", /refused/],
    ["localhost.:3000", /refused/],
    [undefined, /without a Host header/],
    ["a b", /malformed Host header/],
  ])("insecure-local refuses %s", (host, why) => {
    expect(hostRejection(host, 3000, local)).toMatch(why);
  });

  it("accepts port-less loopback names when listening on port 80", () => {
    expect(hostRejection("localhost", 80, local)).toBeNull();
  });

  it("with credentials and no allowlist answers any Host", () => {
    expect(hostRejection("anything.example", 3000, { loopbackOnly: false, allowed: [] })).toBeNull();
    expect(hostRejection(undefined, 3000, { loopbackOnly: false, allowed: [] })).toBeNull();
  });

  it("with MLQ_DASHBOARD_ALLOWED_HOSTS answers only the listed names (and ports, when given)", () => {
    const policy = { loopbackOnly: false, allowed: ["dash.example.com", "10.0.0.5:8443"] };
    expect(hostRejection("dash.example.com", 3000, policy)).toBeNull();
    expect(hostRejection("Dash.Example.com:443", 3000, policy)).toBeNull();
    expect(hostRejection("10.0.0.5:8443", 3000, policy)).toBeNull();
    expect(hostRejection("10.0.0.5:3000", 3000, policy)).toBe("Host 10.0.0.5:3000 refused: not in MLQ_DASHBOARD_ALLOWED_HOSTS");
    expect(hostRejection("127.0.0.1:3000", 3000, policy)).toMatch(/not in MLQ_DASHBOARD_ALLOWED_HOSTS/);
  });

  it("applies both rules when insecure-local also has an allowlist", () => {
    const policy = { loopbackOnly: true, allowed: ["localhost"] };
    expect(hostRejection("localhost:3000", 3000, policy)).toBeNull();
    expect(hostRejection("127.0.0.1:3000", 3000, policy)).toMatch(/not in MLQ_DASHBOARD_ALLOWED_HOSTS/);
  });
});
