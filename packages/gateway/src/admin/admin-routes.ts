import { compileSchema, type Pin } from '@etdi/core';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import Type, { type Static } from 'typebox';
import { GatewayError } from '../errors.js';
import type { ToolRecord } from '../guard/tool-record.js';
import type { GuardAdmin } from './guard-admin.js';

const Str = Type.String();
const OptStr = Type.Optional(Type.String());

const ToolView = Type.Object({
  upstream: Str,
  name: Str,
  decision: Type.Union([Type.Literal('verified'), Type.Literal('rejected')]),
  reason: OptStr,
  detail: Str,
  source: Str,
  iss: OptStr,
  ver: OptStr,
  kid: OptStr,
  dig: OptStr,
  perms: Type.Optional(Type.Array(Str)),
  decidedAt: Str,
  waitingForApproval: Type.Boolean(),
});

const ApprovalView = Type.Object({
  upstream: Str,
  iss: Str,
  name: Str,
  ver: Str,
  dig: Str,
  perms: Type.Array(Str),
  kind: Type.Union([Type.Literal('first-use'), Type.Literal('added-scopes')]),
  addedScopes: Type.Array(Str),
  approvedVer: OptStr,
  since: Str,
});

const ApproveBody = Type.Object(
  {
    upstream: Type.String({ minLength: 1 }),
    iss: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    ver: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

const PinView = Type.Object({
  iss: Str,
  sub: Str,
  ver: Str,
  dig: Str,
  perms: Type.Array(Str),
  approvedAt: Str,
  kid: OptStr,
});

/** RFC 9457 problem details with the stable `code` member. */
const Problem = Type.Object({
  type: Str,
  title: Str,
  status: Type.Integer(),
  detail: Str,
  code: Str,
});

/** Options of {@link adminRoutes}. */
export interface AdminRoutesOptions {
  readonly guard: GuardAdmin;
}

const STATUS: Readonly<Record<string, number>> = { 'not-found': 404, conflict: 409 };

function toolView(r: ToolRecord & { name: string }): Static<typeof ToolView> {
  return {
    upstream: r.upstream,
    name: r.name,
    decision: r.ok ? 'verified' : 'rejected',
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    detail: r.detail,
    source: r.source,
    ...(r.iss === undefined ? {} : { iss: r.iss }),
    ...(r.ver === undefined ? {} : { ver: r.ver }),
    ...(r.kid === undefined ? {} : { kid: r.kid }),
    ...(r.dig === undefined ? {} : { dig: r.dig }),
    ...(r.perms === undefined ? {} : { perms: [...r.perms] }),
    decidedAt: r.decidedAt,
    waitingForApproval: r.approval !== undefined,
  };
}

function problem(reply: FastifyReply, status: number, code: string, detail: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title: code, status, detail, code });
}

/**
 * The guard's admin API, as a plain (encapsulated) Fastify plugin the gateway mounts under
 * `/admin` behind its auth chain with scope `etdi:admin`:
 * - `GET /tools`: every upstream tool with its last decision and reason;
 * - `GET /approvals`: tools waiting for approval (first use under `firstUse: hold`, and
 *   `reapproval-required` with the scopes a new version adds);
 * - `POST /approvals` `{ upstream, iss, name, ver }`: approve one waiting definition (200 with
 *   the pin in force; 404 `not-found` if it is not waiting; 409 `conflict` if its pin changed
 *   meanwhile). The next `tools/list` of the upstream shows it.
 * Bodies are validated strictly (unknown members are 400, never stripped); errors are RFC 9457
 * `application/problem+json` with a stable `code`.
 *
 * @example
 * await app.register(adminRoutes, { guard, prefix: '/admin' });
 */
export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { guard }) => {
  app.setValidatorCompiler(({ schema }) => compileSchema(schema));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) return problem(reply, 400, 'invalid-request', error.message);
    if (error instanceof GatewayError && STATUS[error.code]) {
      return problem(reply, STATUS[error.code]!, error.code, error.message);
    }
    if (error.statusCode !== undefined && error.statusCode < 500) {
      return problem(reply, error.statusCode, 'invalid-request', error.message);
    }
    request.log.error({ err: error }, 'admin request failed');
    return problem(reply, 500, 'internal-error', 'The approval could not be recorded');
  });

  app.get(
    '/tools',
    { schema: { response: { 200: Type.Object({ tools: Type.Array(ToolView) }) } } },
    async () => ({
      tools: guard
        .tools()
        .filter((r): r is ToolRecord & { name: string } => r.name !== undefined)
        .map(toolView),
    }),
  );

  app.get(
    '/approvals',
    { schema: { response: { 200: Type.Object({ approvals: Type.Array(ApprovalView) }) } } },
    async () => ({ approvals: guard.approvals() }),
  );

  app.post(
    '/approvals',
    {
      schema: {
        body: ApproveBody,
        response: {
          200: Type.Object({ approved: PinView }),
          400: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request) => {
      const pin: Pin = await guard.approve(request.body as Static<typeof ApproveBody>);
      return { approved: pin };
    },
  );
};
