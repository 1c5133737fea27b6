'use client'
import { createContext, useContext } from 'react'
import type { PublicOpenQuestion } from '@/lib/content/open-questions'
import type { OwnAnswerView } from '@/lib/open-questions/api'

/** The lesson's open questions, each with the learner's own answer (null: none yet or signed out). */
export type LessonOpenQuestions = {
  courseSlug: string
  lessonSlug: string
  signedIn: boolean
  /** The authoring preview: no form, and a rubric the learners may not see is shown all the same. */
  preview?: boolean
  /** An exam covers the lesson now: only answers handed in count. */
  inExam: boolean
  /** An exam on the lesson is over: answers are locked. */
  examOver: boolean
  questions: { question: PublicOpenQuestion; answer: OwnAnswerView | null }[]
}

/** runButtons: the code blocks' "Exécuter" and "Coller" buttons (off in an exam). */
export type LessonContextValue = { handsOn: boolean; runButtons: boolean; exercises: { id: string; title: string }[]; openQuestions?: LessonOpenQuestions }

const LessonContext = createContext<LessonContextValue>({ handsOn: false, runButtons: false, exercises: [] })

export function LessonProvider({ value, children }: { value: LessonContextValue; children: React.ReactNode }) {
  return <LessonContext.Provider value={value}>{children}</LessonContext.Provider>
}

export const useLessonContext = () => useContext(LessonContext)
