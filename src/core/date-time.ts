/**
 * RFC 3339 date-times as Taskcluster's schemas take them (`format: date-time`, ajv-formats' full
 * mode): a calendar date that exists and a time of day within 00:00:00-23:59:59. Date.parse alone
 * is not enough: it rolls an impossible date over (2030-02-30 became 2030-03-02, 24:00 the next
 * day), so a value Taskcluster refuses was stored as another date than the one sent.
 */
const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-](\d\d):(\d\d))$/i;

/** Days in a month of the proleptic Gregorian calendar (RFC 3339 appendix C); not Date.UTC, which reads years 0-99 as 1900-1999. */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** The instant a strict RFC 3339 date-time names, or undefined when it names none. */
export function parseDateTime(value: string): Date | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
