/**
 * One webhook POST, through the operator's policy on addresses (networkReach.ts): a webhook URL comes from
 * an API key holder, so it may not reach this machine, its private network or a cloud metadata service
 * unless TRIBUTARY_ALLOW_PRIVATE_HOSTS allows it. The name is resolved by the check itself, so the address
 * judged is the one connected to (a receiver's name that later resolves to 127.0.0.1 is refused then).
 * Redirects are not followed: a 3xx is an answer other than 2xx, and so a failed delivery.
 */
import http from 'node:http';
import https from 'node:https';
import type { NetworkReach } from '../connectors/common/networkReach';

/** The receiver's HTTP status; rejects with RefusedAddressError when the policy refuses its address. */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  reach: NetworkReach,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    try {
      reach.checkHost(u.hostname); // an IP literal is never looked up
    } catch (err) {
      reject(err);
      return;
    }
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(u, {
      method: 'POST',
      lookup: reach.lookup,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    // One bound on the whole exchange, as the delivery's own deadline.
    const timer = setTimeout(
      () =>
        req.destroy(
          Object.assign(new Error(`no answer from ${u.host} within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }),
        ),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => clearTimeout(timer));
      resolve(res.statusCode ?? 0);
    });
    req.end(body);
  });
}
