// An error meant for the operator: one line that names the problem and the fix. The CLI prints
// these without a stack trace; anything else is a bug and keeps its stack.
export class UserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}; ${fix}` : message);
    this.name = 'UserError';
  }
}
