// The HttpClient tests of `http_test.ts` once more, each client's requests on
// inlet's own HTTP/1.1 connections (`Http1Agent`) instead of Deno's `fetch`.
(globalThis as { inletHttpTestAgent?: boolean }).inletHttpTestAgent = true;
await import("./http_test.ts");
