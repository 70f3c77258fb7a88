import {
  type AuthCredentials,
  BaseAuthProvider,
  type AuthFailureCode,
  type AuthMethod,
  type AuthResult,
  type AuthStatus,
  type BaseProviderOptions,
  type FailureInit,
  type SuccessInit,
} from '@etdi/auth';

/** A provider whose answer a test chooses, to exercise chains and hooks. */
export class StubProvider extends BaseAuthProvider {
  readonly version = '0.0.1';
  protected readonly method: AuthMethod;
  calls = 0;
  readonly #answer: (
    self: StubProvider,
    credentials: AuthCredentials,
  ) => AuthResult | Promise<AuthResult>;

  constructor(
    name: string,
    answer: (self: StubProvider, credentials: AuthCredentials) => AuthResult | Promise<AuthResult>,
    options: BaseProviderOptions & { method?: AuthMethod } = {},
  ) {
    super(name, { name, ...options });
    this.method = options.method ?? 'custom';
    this.#answer = answer;
  }

  protected async authenticateCredentials(credentials: AuthCredentials): Promise<AuthResult> {
    this.calls++;
    return this.#answer(this, credentials);
  }

  // Expose the protected result constructors to the test that builds the answer.
  ok(init: SuccessInit = {}): AuthResult {
    return this.success(init);
  }
  no(
    status: Exclude<AuthStatus, 'success'>,
    error: AuthFailureCode,
    message = `${this.name} refused`,
    init: FailureInit = {},
  ): AuthResult {
    return this.failure(status, error, message, init);
  }
  none(): AuthResult {
    return this.noCredentials(`${this.name} found nothing`);
  }
}
