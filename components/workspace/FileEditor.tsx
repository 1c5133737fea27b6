'use client'
import { yaml } from '@codemirror/lang-yaml'
import { StreamLanguage } from '@codemirror/language'
import { dockerFile } from '@codemirror/legacy-modes/mode/dockerfile'
import { json } from '@codemirror/legacy-modes/mode/javascript'
import { nginx } from '@codemirror/legacy-modes/mode/nginx'
import { properties } from '@codemirror/legacy-modes/mode/properties'
import { shell } from '@codemirror/legacy-modes/mode/shell'
import { toml } from '@codemirror/legacy-modes/mode/toml'
import { EditorView, keymap } from '@codemirror/view'
import CodeMirror, { type Extension } from '@uiw/react-codemirror'
import { useMemo } from 'react'

/** Syntax by file name: compose and Prometheus files are YAML, .env is properties... */
export function languageFor(path: string): Extension[] {
  const name = (path.split('/').pop() ?? '').toLowerCase()
  if (/\.ya?ml$/.test(name)) return [yaml()]
  if (name === 'dockerfile' || name.startsWith('dockerfile.') || name.endsWith('.dockerfile') || name === 'containerfile') return [StreamLanguage.define(dockerFile)]
  if (/\.(sh|bash)$/.test(name) || name === '.bashrc' || name === 'entrypoint') return [StreamLanguage.define(shell)]
  if (name === 'nginx.conf' || name.endsWith('.nginx') || /^default\.conf$/.test(name)) return [StreamLanguage.define(nginx)]
  if (name.endsWith('.toml')) return [StreamLanguage.define(toml)]
  if (name.endsWith('.json')) return [StreamLanguage.define(json)]
  if (name === '.env' || name.startsWith('.env.') || /\.(env|properties|ini|conf|cfg)$/.test(name)) return [StreamLanguage.define(properties)]
  return []
}

export type FileEditorProps = {
  path: string
  value: string
  label: string
  onChange: (value: string) => void
  onSave: () => void
}

export default function FileEditor({ path, value, label, onChange, onSave }: FileEditorProps) {
  const extensions = useMemo(
    () => [
      ...languageFor(path),
      // The label goes on the editable element itself, where screen readers land.
      EditorView.contentAttributes.of({ 'aria-label': label }),
      keymap.of([
        {
          key: 'Mod-s',
          preventDefault: true,
          run: () => {
            onSave()
            return true
          },
        },
      ]),
    ],
    [path, label, onSave],
  )
  return (
    <CodeMirror
      value={value}
      height="100%"
      className="h-full text-sm"
      theme="dark"
      extensions={extensions}
      onChange={onChange}
      basicSetup={{ foldGutter: false, highlightActiveLine: true, autocompletion: false }}
    />
  )
}
