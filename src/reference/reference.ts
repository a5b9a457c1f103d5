/** Look-ups over the reference data the service accepts (docs/domain.md, "Glossary"). */
import { PPKS_CATEGORIES } from './ppks-categories.data.js';
import { REGIONS, type RegionLevel } from './regions.data.js';

const regionLevels = new Map(REGIONS.map((region) => [region.code, region.level]));
const categoryCodes = new Set(PPKS_CATEGORIES.map((category) => category.code));

export function isKnownRegion(code: string, level?: RegionLevel): boolean {
  const known = regionLevels.get(code);
  return known !== undefined && (level === undefined || known === level);
}

export function isKnownCategory(code: string): boolean {
  return categoryCodes.has(code);
}

/**
 * NIK shape: 16 digits; 1–6 the region (a real province code first), 7–12 the birth date
 * DDMMYY with 40 added to the day for women, 13–16 a serial that is not 0000.
 */
export function isValidNikShape(nik: string): boolean {
  if (!/^\d{16}$/.test(nik)) return false;
  const province = Number(nik.slice(0, 2));
  const day = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const dayOfMonth = day > 40 ? day - 40 : day;
  return province >= 11 && province <= 96 && dayOfMonth >= 1 && dayOfMonth <= 31 && month >= 1 && month <= 12 && nik.slice(12) !== '0000';
}
