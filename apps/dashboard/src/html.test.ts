import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { escapeHtml, html, raw } from "./html.js";

describe("escapeHtml", () => {
  it.each([
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`a"b'c&d`, "a&quot;b&#39;c&amp;d"],
    [null, ""],
    [42, "42"],
  ])("escapes %j", (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it("never leaves a markup character in its output", () => {
    fc.assert(fc.property(fc.string(), (s) => !/[<>"']/.test(escapeHtml(s))));
  });
});

describe("html", () => {
  it("escapes interpolations but keeps nested html and raw markup", () => {
    const inner = html`<b>${"x<y"}</b>`;
    expect(html`<p>${inner}${["<i>", raw("<br>")]}${undefined}</p>`.value).toBe("<p><b>x&lt;y</b>&lt;i&gt;<br></p>");
  });
});
