'use client'
import { createContext, useContext } from 'react'

export type LessonContextValue = { handsOn: boolean; exercises: { id: string; title: string }[] }

const LessonContext = createContext<LessonContextValue>({ handsOn: false, exercises: [] })

export function LessonProvider({ value, children }: { value: LessonContextValue; children: React.ReactNode }) {
  return <LessonContext.Provider value={value}>{children}</LessonContext.Provider>
}

export const useLessonContext = () => useContext(LessonContext)
