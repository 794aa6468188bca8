import t from 'tap';
import { parseDateTime } from '../../src/core/date-time.js';

t.test('29 February exists in leap years of the proleptic Gregorian calendar only', async (t) => {
  for (const year of ['0000', '0004', '0400', '1600', '2000', '2028']) {
    t.equal(parseDateTime(`${year}-02-29T00:00:00Z`)?.toISOString(), `${year}-02-29T00:00:00.000Z`, `${year} is a leap year`);
  }
  for (const year of ['0001', '0100', '1900', '2030', '2100']) {
    t.equal(parseDateTime(`${year}-02-29T00:00:00Z`), undefined, `${year} is not`);
  }
});

t.test('days past a month\'s end and times past 23:59:59 name no instant', async (t) => {
  for (const value of ['2030-04-31T00:00:00Z', '2030-02-30T00:00:00Z', '2030-13-01T00:00:00Z', '2030-01-01T24:00:00Z', '2030-01-01T00:00:00+24:00']) {
    t.equal(parseDateTime(value), undefined, value);
  }
  t.equal(parseDateTime('2030-12-31T23:59:59.5+01:00')?.toISOString(), '2030-12-31T22:59:59.500Z');
});
