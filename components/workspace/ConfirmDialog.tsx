'use client'
import { useEffect, useId, useRef } from 'react'

/** A modal confirmation on the native <dialog>: focus is trapped, Escape cancels. */
export function ConfirmDialog(props: {
  open: boolean
  title: string
  body: string
  confirmLabel: string
  cancelLabel: string
  onConfirm: () => void
  onCancel: () => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId()
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (props.open && !dialog.open) dialog.showModal()
    if (!props.open && dialog.open) dialog.close()
  }, [props.open])
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
      onCancel={(e) => {
        e.preventDefault()
        props.onCancel()
      }}
      className="max-w-sm rounded-lg border border-slate-300 p-5 text-slate-900 shadow-xl backdrop:bg-black/50"
    >
      <h2 id={`${id}-title`} className="text-base font-semibold">
        {props.title}
      </h2>
      <p id={`${id}-body`} className="mt-2 text-sm">
        {props.body}
      </p>
      <div className="mt-4 flex justify-end gap-2">
        <button
          type="button"
          autoFocus
          onClick={props.onCancel}
          className="rounded border border-slate-400 px-3 py-1.5 text-sm hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
        >
          {props.cancelLabel}
        </button>
        <button
          type="button"
          onClick={props.onConfirm}
          className="rounded bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  )
}
