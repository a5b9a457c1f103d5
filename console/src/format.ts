/**
 * Dates and times as Indonesians write them, always in WIB (Asia/Jakarta, where Kota Magelang is), whatever
 * the device's time zone: "3 Des 2026 14.30 WIB". Built on Intl, so both languages come from the platform.
 */
import type { Language } from './i18n';

const ZONE = 'Asia/Jakarta';
const locale = (language: Language): string => (language === 'id' ? 'id-ID' : 'en-GB');

const cache = new Map<string, Intl.DateTimeFormat>();
function formatter(language: Language, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${language}:${JSON.stringify(options)}`;
  let found = cache.get(key);
  if (!found) cache.set(key, (found = new Intl.DateTimeFormat(locale(language), { timeZone: ZONE, ...options })));
  return found;
}

export function formatDateTime(iso: string | null | undefined, language: Language): string {
  if (!iso) return '–';
  const date = new Date(iso);
  const day = formatter(language, { day: 'numeric', month: 'short', year: 'numeric' }).format(date);
  const time = formatter(language, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
  return `${day} ${time} WIB`;
}

export function formatDate(iso: string | null | undefined, language: Language): string {
  if (!iso) return '–';
  return formatter(language, { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(iso));
}

/** A span as its two largest units: "2 hari 3 jam", "45 menit". */
export function formatSpan(milliseconds: number, language: Language): string {
  const minutes = Math.max(1, Math.round(Math.abs(milliseconds) / 60_000));
  const parts: [number, Intl.NumberFormatOptions['unit']][] = [
    [Math.floor(minutes / 1440), 'day'],
    [Math.floor((minutes % 1440) / 60), 'hour'],
    [minutes % 60, 'minute'],
  ];
  const shown = parts.filter(([value]) => value > 0).slice(0, 2);
  return shown.map(([value, unit]) => new Intl.NumberFormat(locale(language), { style: 'unit', unit, unitDisplay: 'long' }).format(value)).join(' ');
}

export function formatNumber(value: number, language: Language, options: Intl.NumberFormatOptions = {}): string {
  return new Intl.NumberFormat(locale(language), options).format(value);
}

/** The WIB wall-clock time of `iso` as `YYYY-MM-DDTHH:mm`, for a datetime-local input. */
export function toWibInput(iso: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']}T${parts['hour']}:${parts['minute']}`;
}

/** A datetime-local value read as WIB (UTC+7, no daylight saving), as an ISO instant. */
export function fromWibInput(value: string): string {
  return new Date(`${value}:00+07:00`).toISOString();
}

/** A calendar month of the analytics API (`YYYY-MM`, UTC): "Nov 2026". */
export function formatMonth(month: string, language: Language): string {
  return new Intl.DateTimeFormat(locale(language), { timeZone: 'UTC', month: 'short', year: 'numeric' }).format(new Date(`${month}-01T00:00:00Z`));
}

/** A case id as people can say it: the first 8 characters of a UUID (enough to tell cases apart), a short id whole. */
export function shortId(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-/.test(id) ? id.slice(0, 8) : id;
}
