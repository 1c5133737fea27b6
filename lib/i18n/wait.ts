// A wait in the reader's words ("9 min 12 s") from the seconds a refusal gives: every rate
// limit's message says the true wait. `t` reads a namespace with seconds, minutes and
// minutesSeconds (teach.wait and auth.wait).

type WaitTranslations = (key: 'seconds' | 'minutes' | 'minutesSeconds', values: { seconds?: number; minutes?: number }) => string

export function waitWords(t: WaitTranslations, seconds: number): string {
  const minutes = Math.floor(seconds / 60)
  const rest = seconds % 60
  if (minutes === 0) return t('seconds', { seconds: rest })
  return rest === 0 ? t('minutes', { minutes }) : t('minutesSeconds', { minutes, seconds: rest })
}
