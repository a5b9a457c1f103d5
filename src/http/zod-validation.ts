/**
 * Request validation with zod: `@ValidBody(schema)` validates the body (unknown fields refused by strict
 * schemas) and documents the same schema in OpenAPI, so the contract and the check never drift apart.
 */
import { Body, Query, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { RequestValidationError, type FieldError } from './problem-details.js';

export function toOpenApi(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
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

function withMethodDecorator(decorator: MethodDecorator): ParameterDecorator {
  return (target, key) => {
    if (key === undefined) return;
    decorator(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
}

export function ValidBody(schema: z.ZodType): ParameterDecorator {
  const bind = Body(new ZodPipe(schema, 'body'));
  const document = withMethodDecorator(ApiBody({ schema: toOpenApi(schema), required: !acceptsNoBody(schema) }));
  return (target, key, index) => {
    bind(target, key, index);
    document(target, key, index);
  };
}

export function ValidQuery(schema: z.ZodObject): ParameterDecorator {
  const bind = Query(new ZodPipe(schema, 'query'));
  const documents = Object.entries(schema.shape).map(([name, field]) =>
    withMethodDecorator(ApiQuery({ name, required: !(field as z.ZodType).safeParse(undefined).success, schema: toOpenApi(field as z.ZodType) })));
  return (target, key, index) => {
    bind(target, key, index);
    for (const document of documents) document(target, key, index);
  };
}
