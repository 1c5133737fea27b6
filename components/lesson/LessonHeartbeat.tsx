'use client'
import { useEffect } from 'react'
import { fetchJson, unreadBody } from '@/lib/http/client'
import { progressApi, type ProgressAction } from '@/lib/progress/api'

const intervalSeconds = 30

/** Reports visible time on the lesson (and the exercise in focus) for progress and class presence. */
export function LessonHeartbeat({ courseSlug, lessonSlug }: { courseSlug: string; lessonSlug: string }) {
  useEffect(() => {
    let visibleSince = document.visibilityState === 'visible' ? Date.now() : null
    let exerciseId: string | null = null
    const onFocusExercise = (event: Event) => {
      exerciseId = (event as CustomEvent<{ id: string }>).detail.id
    }
    const send = () => {
      if (visibleSince === null) return
      const seconds = (Date.now() - visibleSince) / 1000
      visibleSince = Date.now()
      // Best effort: a lost heartbeat is a few seconds less on the lesson.
      void fetchJson(progressApi(courseSlug, lessonSlug), unreadBody, { method: 'POST', json: { action: 'heartbeat', seconds, exerciseId } satisfies ProgressAction, keepalive: true })
    }
    const onVisibility = () => {
      if (document.visibilityState === 'visible') visibleSince = Date.now()
      else {
        send()
        visibleSince = null
      }
    }
    send()
    const timer = setInterval(send, intervalSeconds * 1000)
    document.addEventListener('visibilitychange', onVisibility)
    window.addEventListener('quai:focus-exercise', onFocusExercise)
    return () => {
      clearInterval(timer)
      send()
      document.removeEventListener('visibilitychange', onVisibility)
      window.removeEventListener('quai:focus-exercise', onFocusExercise)
    }
  }, [courseSlug, lessonSlug])
  return null
}
