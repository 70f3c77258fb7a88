import type { Tool } from '@etdi/core';

/** A small, realistic tool (shaped like the filesystem server's read_text_file). */
export function sampleTool(over: Partial<Tool> = {}): Tool {
  return {
    name: 'read_text_file',
    title: 'Read Text File',
    description: 'Read the complete contents of a file from the file system as text.',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        head: { type: 'number', description: 'If provided, returns only the first N lines' },
        options: {
          type: 'object',
          properties: { encoding: { type: 'string', enum: ['utf8', 'latin1'] } },
        },
      },
      required: ['path'],
      $schema: 'http://json-schema.org/draft-07/schema#',
    },
    annotations: { readOnlyHint: true, destructiveHint: false },
    _meta: { 'com.acme/category': 'files' },
    ...over,
  };
}

/** A deep copy that may be mutated freely. */
export const clone = <T>(v: T): T => structuredClone(v);
