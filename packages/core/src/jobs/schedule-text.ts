import { Cron } from 'croner'
import { errors } from '../errors.js'

/** A schedule read from text: the cron expression it means and a plain description. */
export interface ParsedSchedule {
  /** Five fields: minute hour day-of-month month day-of-week. */
  readonly cron: string
  /** What the schedule means, in words (`every day at 06:00`). */
  readonly description: string
}

const EXAMPLES = '"daily at 06:00", "every 5 minutes", "weekdays at 9:30", "mondays and fridays at 06:00", "1st day of month at 06:00" or cron "0 6 * * *"'

const DAYS: Readonly<Record<string, number>> = {
  sun: 0, sunday: 0, mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, wednesday: 3,
  thu: 4, thur: 4, thurs: 4, thursday: 4, fri: 5, friday: 5, sat: 6, saturday: 6,
}
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

const NICKNAMES: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
}

const TIME = String.raw`(?<time>noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?)`
const AT_TIME = String.raw`(?:\s+at\s+${TIME})?`

/** Text forms and the cron each builds; the first match wins. */
const FORMS: readonly { re: RegExp; build: (m: RegExpExecArray, text: string) => ParsedSchedule }[] = [
  {
    re: new RegExp(String.raw`^(?:every\s+day|daily|each\s+day)${AT_TIME}$`),
    build: (m, text) => {
      const [h, min] = time(m.groups?.time, text)
      return { cron: `${min} ${h} * * *`, description: `every day at ${hhmm(h, min)}` }
    },
  },
  {
    re: /^(?:every\s+(?<n>\d+)?\s*(?:minutes?|mins?)|every\s+minute)$/,
    build: (m, text) => {
      const n = step(m.groups?.n, 60, 'minutes', text)
      return { cron: `${n === 1 ? '*' : `*/${n}`} * * * *`, description: n === 1 ? 'every minute' : `every ${n} minutes` }
    },
  },
  {
    re: /^(?:hourly|every\s+(?<n>\d+)?\s*hours?)(?:\s+at\s+:(?<min>\d{2}))?$/,
    build: (m, text) => {
      const n = step(m.groups?.n, 24, 'hours', text)
      const min = m.groups?.min === undefined ? 0 : bounded(Number(m.groups.min), 59, text)
      const at = min === 0 ? '' : ` at :${String(min).padStart(2, '0')}`
      return { cron: `${min} ${n === 1 ? '*' : `*/${n}`} * * *`, description: `${n === 1 ? 'every hour' : `every ${n} hours`}${at}` }
    },
  },
  {
    re: new RegExp(String.raw`^(?:every\s+|on\s+)?(?<which>weekdays?|weekends?)${AT_TIME}$`),
    build: (m, text) => {
      const [h, min] = time(m.groups?.time, text)
      const weekend = m.groups!.which!.startsWith('weekend')
      return { cron: `${min} ${h} * * ${weekend ? '0,6' : '1-5'}`, description: `${weekend ? 'every Saturday and Sunday' : 'weekdays (Monday to Friday)'} at ${hhmm(h, min)}` }
    },
  },
  {
    re: new RegExp(String.raw`^(?:every\s+|on\s+)?(?<days>[a-z]+(?:\s*(?:,|and|&)\s*(?:every\s+)?[a-z]+)*)${AT_TIME}$`),
    build: (m, text) => {
      const names = m.groups!.days!.split(/\s*(?:,|\band\b|&)\s*/).map((d) => d.replace(/^every\s+/, ''))
      const days = names.map((d) => DAYS[d.replace(/s$/, '')] ?? DAYS[d])
      if (days.some((d) => d === undefined)) throw unreadable(text)
      const unique = [...new Set(days as number[])].sort((a, b) => a - b)
      const [h, min] = time(m.groups?.time, text)
      return { cron: `${min} ${h} * * ${unique.join(',')}`, description: `every ${list(unique.map((d) => DAY_NAMES[d]!))} at ${hhmm(h, min)}` }
    },
  },
  {
    re: new RegExp(String.raw`^(?:on\s+)?(?:the\s+)?(?:(?<n>\d{1,2})(?:st|nd|rd|th)|(?<last>last))(?:\s+day)?\s+of\s+(?:the\s+|each\s+|every\s+)?month${AT_TIME}$`),
    build: (m, text) => {
      const [h, min] = time(m.groups?.time, text)
      if (m.groups?.last !== undefined) return { cron: `${min} ${h} L * *`, description: `the last day of every month at ${hhmm(h, min)}` }
      const day = Number(m.groups!.n)
      if (day < 1 || day > 31) throw unreadable(text, `there is no day ${day} in a month`)
      return { cron: `${min} ${h} ${day} * *`, description: `day ${day} of every month at ${hhmm(h, min)}` }
    },
  },
]

/**
 * Reads a schedule: human text (`daily at 6 AM`, `every 5 minutes`, `weekdays at 9:30`,
 * `mondays and fridays at 06:00`, `1st day of month at 06:00`, `every friday at 18:00`), a
 * five-field cron expression, or a nickname (`@daily`). The cron is checked by croner, so what
 * is accepted here is what the scheduler can evaluate.
 *
 * @example
 * ```ts
 * parseSchedule('weekdays at 9:30')   // { cron: '30 9 * * 1-5', description: 'weekdays (Monday to Friday) at 09:30' }
 * ```
 * @throws {OmegaError} E_INVALID_ARGUMENT quoting the text and showing examples; for cron with other than 5 fields or values out of range
 */
export function parseSchedule(when: string): ParsedSchedule {
  if (typeof when !== 'string' || when.trim() === '') throw errors.invalidArgument(`a schedule must be text such as ${EXAMPLES}`)
  const text = when.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\.$/, '')
  const nickname = NICKNAMES[text]
  if (nickname !== undefined) return checked({ cron: nickname, description: `cron ${text}` }, when)
  const fields = text.split(' ')
  if (fields.length >= 5 && fields.every((f) => /^[\d*?,\-/#lw]+$/.test(f) || /^[a-z]{3}(?:-[a-z]{3})?$/.test(f))) {
    if (fields.length !== 5) {
      throw errors.invalidArgument(`cron "${when}" has ${fields.length} fields; omega schedules to the minute with 5 fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * *"`, {
        when,
      })
    }
    if (fields.some((f) => /\d/.test(f) || f.includes('*'))) return checked({ cron: when.trim().replace(/\s+/g, ' '), description: `cron ${when.trim()}` }, when)
  }
  for (const form of FORMS) {
    const m = form.re.exec(text)
    if (m) return checked(form.build(m, when), when)
  }
  throw unreadable(when)
}

/** A checked time zone: an IANA name such as `Europe/Zurich`, or `UTC`. */
export function checkTimezone(timezone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone
  } catch {
    throw errors.invalidArgument(`unknown time zone "${timezone}"; use an IANA name such as "UTC" or "Europe/Zurich"`, { timezone })
  }
}

/** The time zone of this process (what `daily at 06:00` means when no zone is given). */
export function localTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** Croner's evaluation of a cron expression in a time zone (paused: it only computes times). */
export function cronOf(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true })
}

/** The next `n` times after `from` (exclusive). */
export function nextTimes(cron: string, timezone: string, n: number, from: Date): Date[] {
  return cronOf(cron, timezone).nextRuns(n, from)
}

function checked(schedule: ParsedSchedule, when: string): ParsedSchedule {
  try {
    cronOf(schedule.cron, 'UTC')
  } catch (err) {
    throw errors.invalidArgument(`schedule "${when}" is not a valid cron expression (${(err as Error).message}); e.g. ${EXAMPLES}`, { when, cron: schedule.cron })
  }
  return schedule
}

function time(text: string | undefined, when: string): [number, number] {
  if (text === undefined || text === 'midnight') return [0, 0]
  if (text === 'noon') return [12, 0]
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$/.exec(text)!
  let h = Number(m[1])
  const min = m[2] === undefined ? 0 : Number(m[2])
  const half = m[3]?.replace(/\./g, '')
  if (half !== undefined) {
    if (h < 1 || h > 12) throw unreadable(when, `${h} ${half.toUpperCase()} is not a time; use 1–12 with AM/PM or 0–23 without`)
    h = (h % 12) + (half === 'pm' ? 12 : 0)
  }
  if (h > 23 || min > 59) throw unreadable(when, `${text} is not a time of day`)
  return [h, min]
}

/** An interval that divides its unit evenly; cron cannot express "every 7 minutes" across the hour. */
function step(text: string | undefined, unit: number, what: string, when: string): number {
  const n = text === undefined ? 1 : Number(text)
  if (n < 1 || n > unit || unit % n !== 0) {
    const divisors = Array.from({ length: unit }, (_, i) => i + 1).filter((d) => unit % d === 0 && d < unit)
    throw unreadable(when, `every ${n} ${what} does not divide ${unit === 60 ? 'an hour' : 'a day'} evenly; use one of ${divisors.join(', ')} or a cron expression`)
  }
  return n
}

function bounded(n: number, max: number, when: string): number {
  if (n > max) throw unreadable(when, `${n} is out of range`)
  return n
}

function hhmm(h: number, min: number): string {
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`
}

function unreadable(when: string, reason?: string): Error {
  return errors.invalidArgument(`cannot read the schedule "${when}"${reason ? `: ${reason}` : ''}; write it like ${EXAMPLES}`, { when })
}
