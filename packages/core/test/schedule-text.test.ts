import { describe, expect, it } from 'vitest'
import { OmegaError, nextTimes, parseSchedule } from '@omega/core'

const FROM = new Date('2026-01-01T00:00:00Z') // a Thursday

/** text → cron → the next three times after FROM, in UTC and in Europe/Zurich (UTC+1 in winter). */
const TABLE: readonly [text: string, cron: string, utc: string[], zurich: string[]][] = [
  ['daily at 06:00', '0 6 * * *', ['2026-01-01T06:00', '2026-01-02T06:00', '2026-01-03T06:00'], ['2026-01-01T05:00', '2026-01-02T05:00', '2026-01-03T05:00']],
  ['daily at 6 AM', '0 6 * * *', ['2026-01-01T06:00', '2026-01-02T06:00', '2026-01-03T06:00'], ['2026-01-01T05:00', '2026-01-02T05:00', '2026-01-03T05:00']],
  ['every 5 minutes', '*/5 * * * *', ['2026-01-01T00:05', '2026-01-01T00:10', '2026-01-01T00:15'], ['2026-01-01T00:05', '2026-01-01T00:10', '2026-01-01T00:15']],
  ['every 2 hours', '0 */2 * * *', ['2026-01-01T02:00', '2026-01-01T04:00', '2026-01-01T06:00'], ['2026-01-01T01:00', '2026-01-01T03:00', '2026-01-01T05:00']],
  ['weekdays at 9:30', '30 9 * * 1-5', ['2026-01-01T09:30', '2026-01-02T09:30', '2026-01-05T09:30'], ['2026-01-01T08:30', '2026-01-02T08:30', '2026-01-05T08:30']],
  ['mondays and fridays at 06:00', '0 6 * * 1,5', ['2026-01-02T06:00', '2026-01-05T06:00', '2026-01-09T06:00'], ['2026-01-02T05:00', '2026-01-05T05:00', '2026-01-09T05:00']],
  ['1st day of month at 06:00', '0 6 1 * *', ['2026-01-01T06:00', '2026-02-01T06:00', '2026-03-01T06:00'], ['2026-01-01T05:00', '2026-02-01T05:00', '2026-03-01T05:00']],
  ['every friday at 18:00', '0 18 * * 5', ['2026-01-02T18:00', '2026-01-09T18:00', '2026-01-16T18:00'], ['2026-01-02T17:00', '2026-01-09T17:00', '2026-01-16T17:00']],
  ['every 1 minutes', '* * * * *', ['2026-01-01T00:01', '2026-01-01T00:02', '2026-01-01T00:03'], ['2026-01-01T00:01', '2026-01-01T00:02', '2026-01-01T00:03']],
  ['Every day at 6:30 PM', '30 18 * * *', ['2026-01-01T18:30', '2026-01-02T18:30', '2026-01-03T18:30'], ['2026-01-01T17:30', '2026-01-02T17:30', '2026-01-03T17:30']],
  ['daily at noon', '0 12 * * *', ['2026-01-01T12:00', '2026-01-02T12:00', '2026-01-03T12:00'], ['2026-01-01T11:00', '2026-01-02T11:00', '2026-01-03T11:00']],
  ['weekends at 10:00', '0 10 * * 0,6', ['2026-01-03T10:00', '2026-01-04T10:00', '2026-01-10T10:00'], ['2026-01-03T09:00', '2026-01-04T09:00', '2026-01-10T09:00']],
  ['mon, wed & fri at 7:15', '15 7 * * 1,3,5', ['2026-01-02T07:15', '2026-01-05T07:15', '2026-01-07T07:15'], ['2026-01-02T06:15', '2026-01-05T06:15', '2026-01-07T06:15']],
  ['the 15th of every month at 8 pm', '0 20 15 * *', ['2026-01-15T20:00', '2026-02-15T20:00', '2026-03-15T20:00'], ['2026-01-15T19:00', '2026-02-15T19:00', '2026-03-15T19:00']],
  // Zurich moves to summer time on 2026-03-29: 23:00 there is 21:00 UTC on March 31.
  ['last day of month at 23:00', '0 23 L * *', ['2026-01-31T23:00', '2026-02-28T23:00', '2026-03-31T23:00'], ['2026-01-31T22:00', '2026-02-28T22:00', '2026-03-31T21:00']],
  ['hourly', '0 * * * *', ['2026-01-01T01:00', '2026-01-01T02:00', '2026-01-01T03:00'], ['2026-01-01T01:00', '2026-01-01T02:00', '2026-01-01T03:00']],
  ['@daily', '0 0 * * *', ['2026-01-02T00:00', '2026-01-03T00:00', '2026-01-04T00:00'], ['2026-01-01T23:00', '2026-01-02T23:00', '2026-01-03T23:00']],
  ['0 6 * * 1-5', '0 6 * * 1-5', ['2026-01-01T06:00', '2026-01-02T06:00', '2026-01-05T06:00'], ['2026-01-01T05:00', '2026-01-02T05:00', '2026-01-05T05:00']],
]

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString().slice(0, 16))

describe('schedule text', () => {
  it.each(TABLE)('%s → %s', (text, cron, utc, zurich) => {
    const parsed = parseSchedule(text)
    expect(parsed.cron).toBe(cron)
    expect(parsed.description).not.toBe('')
    expect(iso(nextTimes(parsed.cron, 'UTC', 3, FROM))).toEqual(utc)
    expect(iso(nextTimes(parsed.cron, 'Europe/Zurich', 3, FROM))).toEqual(zurich)
  })

  it('follows daylight saving time in a named zone (New York springs forward on 2026-03-08)', () => {
    const { cron } = parseSchedule('daily at 06:00')
    expect(iso(nextTimes(cron, 'America/New_York', 3, new Date('2026-03-07T00:00:00Z')))).toEqual(['2026-03-07T11:00', '2026-03-08T10:00', '2026-03-09T10:00'])
  })

  it('describes what it read', () => {
    expect(parseSchedule('weekdays at 9:30').description).toBe('weekdays (Monday to Friday) at 09:30')
    expect(parseSchedule('mondays and fridays at 06:00').description).toBe('every Monday and Friday at 06:00')
    expect(parseSchedule('every 5 minutes').description).toBe('every 5 minutes')
  })

  it.each([
    ['every blue moon', /cannot read the schedule "every blue moon".*e\.g\.|write it like "daily at 06:00"/],
    ['daily at 25:00', /25:00 is not a time of day/],
    ['daily at 13 PM', /13 PM is not a time/],
    ['every 7 minutes', /does not divide an hour evenly; use one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30/],
    ['fridays and caturdays at 06:00', /cannot read the schedule "fridays and caturdays at 06:00"/],
    ['0 6 * * * * *', /has 7 fields; omega schedules to the minute with 5 fields/],
    ['0 0 6 * * *', /has 6 fields/],
    ['0 6 32 * *', /not a valid cron expression/],
    ['61 * * * *', /not a valid cron expression/],
    ['0 25 * * *', /not a valid cron expression/],
    ['', /a schedule must be text/],
  ])('%j → E_INVALID_ARGUMENT quoting it with an example', (text, message) => {
    let caught: unknown
    try {
      parseSchedule(text)
    } catch (err) {
      caught = err
    }
    expect(OmegaError.is(caught, 'E_INVALID_ARGUMENT')).toBe(true)
    expect((caught as Error).message).toMatch(message)
    expect((caught as Error).message).toMatch(/"daily at 06:00"|"0 6 \* \* \*"/)
  })
})
