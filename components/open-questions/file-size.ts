'use client'
import { useFormatter } from 'next-intl'

/** A file's size in the reader's language: "12 ko", "1.4 MB". */
export function useFileSize() {
  const format = useFormatter()
  return (bytes: number) =>
    bytes < 1024 * 1024
      ? format.number(Math.max(1, Math.round(bytes / 1024)), { style: 'unit', unit: 'kilobyte' })
      : format.number(Math.round((bytes / 1024 / 1024) * 10) / 10, { style: 'unit', unit: 'megabyte' })
}
