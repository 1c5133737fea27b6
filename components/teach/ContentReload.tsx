'use client'
import { useRouter } from 'next/navigation'
import { useEffect } from 'react'
import { changeAffects } from './content-reload'

/**
 * Development only: refreshes the page when a file of this lesson changes under content/
 * (any content file when no lesson is given). Renders nothing; in production the effect
 * does not even open the stream.
 */
export function ContentReload({ lessonKey }: { lessonKey?: string }) {
  const router = useRouter()
  useEffect(() => {
    if (process.env.NODE_ENV !== 'development') return
    const source = new EventSource('/api/teach/content-events')
    const onChange = (event: MessageEvent<string>) => {
      const { files } = JSON.parse(event.data) as { files: string[] }
      if (changeAffects(files, lessonKey)) router.refresh()
    }
    source.addEventListener('change', onChange as EventListener)
    return () => source.close()
  }, [lessonKey, router])
  return null
}
