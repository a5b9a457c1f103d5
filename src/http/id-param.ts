import { Param, type PipeTransform } from '@nestjs/common';
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
export const IdParam = (param: string, name = param): ParameterDecorator => Param(param, new IdPipe(name));
