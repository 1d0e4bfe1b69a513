/**
 * An import's schedule as users write it, and its translation to a Temporal Schedule. Temporal holds the
 * live schedule and its paused state (the Web UI and `temporal schedule toggle` change the same state);
 * the store keeps only the shape the user wrote, to show it back.
 */
import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';
import { z } from 'zod';
import { timeZoneName } from '../domain/importSpec';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day, HH:MM (24-hour)');

/** A cron expression of five fields (minute hour day-of-month month day-of-week) or an @-macro. */
const cronExpression = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^(@(yearly|annually|monthly|weekly|daily|hourly)|(\S+\s+){4}\S+)$/,
    'must be a cron expression of five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, …',
  )
  .refine((s) => !/^\s*(CRON_)?TZ=/.test(s), 'give the time zone in timeZone, not in the expression');

const common = {
  /** Times are read in this zone (daylight saving included). */
  timeZone: timeZoneName.default('UTC'),
  /** No run before this instant. */
  startAt: z.iso.datetime({ offset: true }).optional(),
  /** No run after this instant. */
  endAt: z.iso.datetime({ offset: true }).optional(),
  /** After an outage, runs missed by more than this are skipped instead of caught up (seconds). */
  catchupWindowSeconds: z
    .number()
    .int()
    .min(10)
    .max(366 * 86400)
    .default(3600),
};

export const scheduleSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('interval'),
        every: z.number().int().min(1).max(100_000),
        unit: z.enum(['seconds', 'minutes', 'hours']).default('minutes'),
        ...common,
      })
      .strict(),
    z.object({ kind: z.literal('daily'), at: timeOfDay, ...common }).strict(),
    z
      .object({ kind: z.literal('weekly'), days: z.array(z.enum(DAYS)).min(1).max(7), at: timeOfDay, ...common })
      .strict(),
    z
      .object({
        kind: z.literal('monthly'),
        days: z.array(z.number().int().min(1).max(31)).min(1).max(31),
        at: timeOfDay,
        ...common,
      })
      .strict(),
    z.object({ kind: z.literal('cron'), expression: cronExpression, ...common }).strict(),
  ])
  .refine((s) => !s.startAt || !s.endAt || Date.parse(s.startAt) < Date.parse(s.endAt), {
    message: 'must be after startAt',
    path: ['endAt'],
  })
  .meta({ id: 'Schedule' });

export type Schedule = z.infer<typeof scheduleSchema>;

const SECONDS = { seconds: 1, minutes: 60, hours: 3600 } as const;

function at(time: string): Pick<CalendarSpec, 'hour' | 'minute'> {
  const [h, m] = time.split(':').map(Number);
  return { hour: h!, minute: m! };
}

/** The Temporal ScheduleSpec for a schedule; with none, a spec that never fires (runs only on trigger). */
export function toScheduleSpec(s: Schedule | null): ScheduleSpec {
  if (!s) return { calendars: [], intervals: [] };
  const base: ScheduleSpec = {
    timezone: s.timeZone,
    startAt: s.startAt ? new Date(s.startAt) : undefined,
    endAt: s.endAt ? new Date(s.endAt) : undefined,
  };
  switch (s.kind) {
    case 'interval':
      return { ...base, intervals: [{ every: s.every * SECONDS[s.unit] * 1000 }] };
    case 'daily':
      return { ...base, calendars: [{ ...at(s.at), comment: `daily at ${s.at}` }] };
    case 'weekly':
      return {
        ...base,
        calendars: [
          {
            ...at(s.at),
            dayOfWeek: s.days.map((d) => d.toUpperCase() as DayOfWeek),
            comment: `weekly on ${s.days.join(', ')} at ${s.at}`,
          },
        ],
      };
    case 'monthly':
      return {
        ...base,
        calendars: [{ ...at(s.at), dayOfMonth: s.days, comment: `monthly on day ${s.days.join(', ')} at ${s.at}` }],
      };
    case 'cron':
      return { ...base, cronExpressions: [s.expression] };
  }
}

export const catchupWindowMs = (s: Schedule | null): number => (s?.catchupWindowSeconds ?? 3600) * 1000;
