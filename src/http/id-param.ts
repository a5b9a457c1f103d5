import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { isValidId } from '../core/ids.js';
import { NotFoundError } from '../core/domain-error.js';

/** The id a route parameter holds: anything that cannot be an id is simply not found. */
export function validId(value: string, name: string): string {
  if (!isValidId(value)) throw new NotFoundError(`No ${name} with id ${JSON.stringify(value.slice(0, 64))}`);
  return value;
}

class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    return validId(value, this.name);
  }
}

/** Documents a route parameter holding an id (from a parameter decorator, which knows its method by name). */
export function documentIdParam(param: string, name: string): ParameterDecorator {
  const document = ApiParam({ name: param, description: `The ${name}'s id`, schema: { type: 'string' } });
  return (target, key) => {
    if (key !== undefined) document(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
}

/** A route parameter holding an id: anything that cannot be an id is simply not found. */
export const IdParam = (param: string, name = param): ParameterDecorator => {
  const bind = Param(param, new IdPipe(name));
  const document = documentIdParam(param, name);
  return (target, key, index) => {
    bind(target, key, index);
    document(target, key, index);
  };
};
