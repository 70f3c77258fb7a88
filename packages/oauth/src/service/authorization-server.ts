import { postForm, type EndpointResponse } from '../http/endpoint.js';
import type { ResolvedServiceOptions } from '../options.js';
import { logFields, type GrantTarget } from './target.js';

/** One request to the target's authorization server. */
export interface ServerRequest {
  /** What the endpoint is, for messages: `token endpoint`, `revocation endpoint`. */
  readonly what: string;
  readonly url: string;
  /** The form; client authentication in the body is added here. */
  readonly form: URLSearchParams;
  readonly correlationId: string;
  /** Secrets of this request (a code, a verifier, a token) to scrub besides the config's. */
  readonly secrets: readonly string[];
}

/**
 * POSTs a form to one of the target's endpoints, authenticated as its configuration says
 * (client_secret_basic in the headers, or the client id and perhaps secret in the body), over its
 * mTLS agent or the service's dispatcher, with the service's retry policy.
 *
 * @throws {OAuthError} what the endpoint answered or why it could not be reached.
 */
export function requestServer(
  target: GrantTarget,
  request: ServerRequest,
  options: ResolvedServiceOptions,
): Promise<EndpointResponse> {
  const { prepared } = target;
  for (const [name, value] of prepared.bodyAuth) request.form.set(name, value);
  return postForm(
    {
      what: request.what,
      url: request.url,
      form: request.form,
      headers: prepared.headers,
      dispatcher: prepared.dispatcher ?? options.dispatcher,
      correlationId: request.correlationId,
      logger: options.logger,
      logFields: logFields(target, request.correlationId),
      secrets: [...prepared.secrets, ...request.secrets],
    },
    options,
  );
}
