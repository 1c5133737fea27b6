/** "12 min", "1 h 05": active time as instructors read it. */
export function formatDuration(seconds: number, t: (key: 'minutes' | 'hours', values: Record<string, string | number>) => string): string {
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return t('minutes', { count: minutes })
  return t('hours', { hours: Math.floor(minutes / 60), minutes: String(minutes % 60).padStart(2, '0') })
}
