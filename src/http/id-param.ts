import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { isValidId } from '../core/ids.js';
import { NotFoundError } from '../core/domain-error.js';

class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (!isValidId(value)) throw new NotFoundError(`No ${this.name} with id ${JSON.stringify(value.slice(0, 64))}`);
    return value;
  }
}

/** A route parameter holding an id: anything that cannot be an id is simply not found. */
export const IdParam = (param: string, name = param): ParameterDecorator => {
  const bind = Param(param, new IdPipe(name));
  const document = ApiParam({ name: param, description: `The ${name}'s id`, schema: { type: 'string' } });
  return (target, key, index) => {
    bind(target, key, index);
    if (key !== undefined) document(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
};
