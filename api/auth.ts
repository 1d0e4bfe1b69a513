/**
 * API keys: bearer tokens `trb_<id>_<secret>` with a read or write scope (write includes read). Only a
 * SHA-256 of the token is stored. A missing or unknown token is 401; a known token without the route's
 * scope is 403, so clients can tell "who are you?" from "you may not".
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { AuthFailureLimit } from './authFailures';
import { sendProblem } from './problems';
import { activeKey, apiKeyRows, insertApiKey, revokeKey, touchApiKey } from '../store/apiKeys';

export type Scope = 'read' | 'write';
/** A route's required scope; 'none' for health and the docs. */
export type RouteScope = Scope | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
  }
  interface FastifyRequest {
    apiKey?: { id: string; name: string; scope: Scope };
  }
}

export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Create a key; the token is returned once and never stored. */
export async function createApiKey(store: pg.Pool, name: string, scope: Scope): Promise<{ id: string; token: string }> {
  const id = randomBytes(6).toString('hex');
  const token = `trb_${id}_${randomBytes(32).toString('hex')}`;
  await insertApiKey(store, { id, name, scope, tokenHash: hashToken(token) });
  return { id, token };
}

export async function revokeApiKey(store: pg.Pool, id: string): Promise<boolean> {
  return revokeKey(store, id);
}

export async function listApiKeys(store: pg.Pool): Promise<ApiKey[]> {
  return (await apiKeyRows(store)).map((r) => ({
    id: r.id,
    name: r.name,
    scope: r.scope,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  }));
}

async function verify(store: pg.Pool, token: string): Promise<{ id: string; name: string; scope: Scope } | null> {
  const m = /^trb_([0-9a-f]{12})_[0-9a-f]{64}$/.exec(token);
  if (!m) return null;
  const row = await activeKey(store, m[1]!);
  if (!row) return null;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(row.token_hash, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  // Best effort: a lost "last used" stamp is not worth failing a request for.
  touchApiKey(store, row.id).catch(() => undefined);
  return { id: row.id, name: row.name, scope: row.scope as Scope };
}

/** Reads need read or write; writes need write. Unless a route says otherwise, GET is a read. */
function requiredScope(request: FastifyRequest, publicDocs: boolean, docsPath: string): RouteScope {
  // The docs page's own routes come from @fastify/swagger-ui, which knows nothing of our scopes.
  if (request.routeOptions.url?.startsWith(docsPath)) return publicDocs ? 'none' : 'read';
  return (
    request.routeOptions.config?.scope ?? (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write')
  );
}

function unauthorized(reply: FastifyReply, request: FastifyRequest, detail: string) {
  void reply.header('www-authenticate', 'Bearer realm="tributary"');
  return sendProblem(reply, request, 401, detail, {}, 'unauthorized');
}

/** `docsPath`: where the docs page is mounted (`/docs` under the API's prefix); `failures`: the allowance of failed authentications per client address (none: unlimited). */
export function registerAuth(
  app: FastifyInstance,
  store: pg.Pool,
  options: { publicDocs: boolean; docsPath: string; failures?: AuthFailureLimit },
): void {
  const { failures } = options;
  // onRequest: before the body is read, so unauthenticated clients cannot make us parse megabytes.
  app.addHook('onRequest', async (request, reply) => {
    const needed = requiredScope(request, options.publicDocs, options.docsPath);
    if (needed === 'none' || !request.routeOptions.url) return; // public, or a 404 (which reveals nothing)
    const wait = failures?.blockedFor(request.ip) ?? 0;
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      return sendProblem(
        reply,
        request,
        429,
        `too many failed authentications from this address; try again in ${wait} s`,
        {},
        'too-many-requests',
      );
    }
    const header = request.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      failures?.fail(request.ip);
      return unauthorized(reply, request, 'this route needs an API key: send "Authorization: Bearer <token>"');
    }
    const key = await verify(store, m[1]!);
    if (!key) {
      failures?.fail(request.ip);
      return unauthorized(reply, request, 'the API key is unknown or revoked');
    }
    request.apiKey = key;
    if (needed === 'write' && key.scope !== 'write') {
      return sendProblem(
        reply,
        request,
        403,
        `API key "${key.name}" has the read scope; this route needs write`,
        {},
        'forbidden',
      );
    }
  });
}
