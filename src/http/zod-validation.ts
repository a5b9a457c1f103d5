/**
 * Request validation with zod: `@ValidBody(schema)` validates the body (unknown fields refused by strict
 * schemas), `@ValidQuery(schema)` the query string. Both hand the same schema to Nest as the parameter's
 * schema, from which @nestjs/swagger documents it (see `zodToOpenApi`), so the contract and the check never
 * drift apart.
 */
import { Body, Query, type PipeTransform } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';
import { RequestValidationError, type FieldError } from './problem-details.js';

/**
 * How @nestjs/swagger turns a zod schema into OpenAPI 3.0 (its `standardSchemaConverter`): as a client sends
 * it (`io: 'input'`: fields with defaults are optional, response objects stay open to fields added later),
 * and every schema named with `.meta({ id })` lifted into `components.schemas` and referred to by name.
 */
export function zodToOpenApi(schema: unknown): { schema: unknown; components: Record<string, unknown> } | undefined {
  if (!(schema instanceof z.ZodType)) return undefined;
  const { definitions, ...root } = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { schema: root, components: (definitions ?? {}) as Record<string, unknown> };
}

export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: path ? `${path}.${key}` : key, message: 'unknown field' }));
    }
    return [{ field: path || prefix || 'body', message: issue.message }];
  });
}

const acceptsNoBody = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

class ZodPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema, private readonly where: 'body' | 'query') {}

  transform(value: unknown): z.output<Schema> {
    if (this.where === 'body' && (value === undefined || value === null)) {
      // Bodiless commands (accept, start, …) declare an optional schema: a client may send no body at all.
      if (acceptsNoBody(this.schema)) return this.schema.parse(undefined);
      throw new RequestValidationError(422, 'A JSON body is required', [{ field: 'body', message: 'required' }]);
    }
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const errors = fieldErrors(result.error, this.where === 'query' ? 'query' : '');
    throw new RequestValidationError(422, `Invalid ${this.where}: ${errors.map((error) => error.field).join(', ')}`, errors);
  }
}

export function ValidBody(schema: z.ZodType): ParameterDecorator {
  const bind = Body({ schema, pipes: [new ZodPipe(schema, 'body')] });
  if (!acceptsNoBody(schema)) return bind;
  const optional = ApiBody({ required: false });
  return (target, key, index) => {
    bind(target, key, index);
    if (key !== undefined) optional(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
}

export function ValidQuery(schema: z.ZodObject): ParameterDecorator {
  return Query({ schema, pipes: [new ZodPipe(schema, 'query')] });
}
