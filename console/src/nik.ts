/**
 * The NIK's shape, checked as the person types (the server checks the same on submit and its answer is
 * shown next to the field): 16 digits; digits 1–2 a province code; 7–12 the birth date DDMMYY, the day + 40
 * for women; 13–16 a serial other than 0000.
 */
import type { MessageKey } from './i18n';

export function nikProblem(nik: string): { key: MessageKey; count?: number } | null {
  if (!/^\d{16}$/.test(nik)) return { key: 'nik.length', count: nik.replace(/\D/g, '').length };
  const province = Number(nik.slice(0, 2));
  if (province < 11 || province > 96) return { key: 'nik.region' };
  const day = Number(nik.slice(6, 8));
  const month = Number(nik.slice(8, 10));
  const dayOfMonth = day > 40 ? day - 40 : day;
  if (dayOfMonth < 1 || dayOfMonth > 31 || month < 1 || month > 12) return { key: 'nik.birth' };
  if (nik.slice(12) === '0000') return { key: 'nik.serial' };
  return null;
}
