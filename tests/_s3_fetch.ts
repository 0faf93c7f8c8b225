/**
 * icebird on the S3 test server: icebird fetches `s3://bucket/key` as
 * `https://bucket.s3.amazonaws.com/key`, unsigned.
 *
 * @module
 */
import type { AwsClient } from "aws4fetch";

/**
 * Run `fn` with `fetch` routing icebird's S3 requests to the test server at
 * `endpoint`, signed by `client`; every other request goes out unchanged.
 */
export async function withS3Fetch<T>(
  client: AwsClient,
  endpoint: string,
  fn: () => Promise<T>,
): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    const m = /^https:\/\/([^.]+)\.s3\.amazonaws\.com\/(.*)$/.exec(url);
    if (!m) return real(input, init);
    return client.fetch(`${endpoint}/${m[1]}/${m[2]}`, init);
  }) as typeof fetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = real;
  }
}
