'use client'
import { createContext, useContext } from 'react'

/** runButtons: the code blocks' "Exécuter" and "Coller" buttons (off in an exam). */
export type LessonContextValue = { handsOn: boolean; runButtons: boolean; exercises: { id: string; title: string }[] }

const LessonContext = createContext<LessonContextValue>({ handsOn: false, runButtons: false, exercises: [] })

export function LessonProvider({ value, children }: { value: LessonContextValue; children: React.ReactNode }) {
  return <LessonContext.Provider value={value}>{children}</LessonContext.Provider>
}

export const useLessonContext = () => useContext(LessonContext)
