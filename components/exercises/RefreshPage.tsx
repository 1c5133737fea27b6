'use client'
import { useRouter } from 'next/navigation'
import { useEffect } from 'react'

/** Renders the page again from the server once mounted (the panel mounts it when the page's mode changed under it). */
export function RefreshPage() {
  const router = useRouter()
  useEffect(() => router.refresh(), [router])
  return null
}
