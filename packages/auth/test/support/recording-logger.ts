import type { AuthLogger, LogFields, LogLevel } from '@etdi/auth';

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: LogFields | undefined;
}

/** A logger that keeps every line, to assert on what was (and was not) logged. */
export function recordingLogger(): AuthLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const push = (level: LogLevel) => (message: string, fields?: LogFields) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () =>
      lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields ?? {})}`).join('\n'),
  };
}
