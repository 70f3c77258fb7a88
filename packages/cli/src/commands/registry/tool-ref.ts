import { CliError } from '../../errors.js';

/** A tool named on the command line: `ISS/NAME` or `ISS/NAME@VER`. */
export interface ToolRef {
  readonly iss: string;
  readonly name: string;
  readonly ver: string | undefined;
}

/**
 * Parses `ISS/NAME[@VER]`. Provider ids may contain `/` and `@`, tool names neither, so the name
 * is what follows the last `/`, and a version what follows an `@` after it.
 */
export function parseToolRef(value: string, flag: string): ToolRef {
  const slash = value.lastIndexOf('/');
  const tail = value.slice(slash + 1);
  const at = tail.indexOf('@');
  const iss = value.slice(0, Math.max(0, slash));
  const name = at < 0 ? tail : tail.slice(0, at);
  const ver = at < 0 ? undefined : tail.slice(at + 1);
  if (slash <= 0 || name === '' || ver === '') {
    throw new CliError(
      'usage',
      `${flag} ${JSON.stringify(value)} is not ISS/NAME or ISS/NAME@VER`,
      {
        hint: 'e.g. com.acme/read_file or com.acme/read_file@1.2.0',
      },
    );
  }
  return { iss, name, ver };
}
