import type { LogFields, LogLevel, Logger } from '@etdi/core';

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** A logger (pino's argument order) that keeps every line, to assert on what was logged. */
export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const push = (level: LogLevel) => (fields: LogFields, message: string) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`).join('\n'),
  };
}
