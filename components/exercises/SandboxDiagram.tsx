'use client'
import { useLocale, useTranslations } from 'next-intl'
import { useId } from 'react'
import type { SandboxSnapshotView as SandboxSnapshot, SnapshotContainerView as SnapshotContainer } from '@/lib/checks/api'
import { colon } from '@/lib/i18n/punctuation'

// A live picture of one node: containers on top, each network as a horizontal bus with a dot
// where a container is attached, volumes below with dashed lines to the containers that
// mount them. Plain SVG, redrawn whenever a new snapshot arrives; a text version follows it
// for screen readers and for copying.

const BOX_W = 136
const BOX_H = 48
const GAP = 18
const LEFT = 96
const TOP = 8
const BUS_GAP = 30

const stateColor = (state: string) =>
  state === 'running'
    ? { fill: '#ecfdf5', stroke: '#059669', text: '#064e3b' }
    : state === 'exited' || state === 'dead'
      ? { fill: '#f1f5f9', stroke: '#64748b', text: '#334155' }
      : { fill: '#fffbeb', stroke: '#d97706', text: '#78350f' }

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

function visibleNetworks(snapshot: SandboxSnapshot) {
  const used = new Set(snapshot.containers.flatMap((c) => c.networks))
  return snapshot.networks.filter((n) => !n.builtin || used.has(n.name)).sort((a, b) => Number(a.builtin) - Number(b.builtin) || a.name.localeCompare(b.name))
}

function ports(c: SnapshotContainer): string {
  return c.ports.filter((p) => p.host).map((p) => `${p.host}→${p.container}/${p.protocol}`).join(', ')
}

export function SandboxDiagram({ node, snapshot }: { node: string; snapshot: SandboxSnapshot }) {
  const t = useTranslations('exercises.diagram')
  const locale = useLocale()
  const id = useId()
  const containers = [...snapshot.containers].sort((a, b) => a.name.localeCompare(b.name))
  const networks = visibleNetworks(snapshot)
  const volumes = [...snapshot.volumes].sort((a, b) => a.name.localeCompare(b.name))
  const summary = t('summary', { containers: containers.length, networks: networks.filter((n) => !n.builtin).length, volumes: volumes.length })

  const cx = (i: number) => LEFT + i * (BOX_W + GAP) + BOX_W / 2
  const busY = (j: number) => TOP + BOX_H + 28 + j * BUS_GAP
  const volTop = busY(networks.length) + 8
  const columns = Math.max(containers.length, volumes.length, 1)
  const width = LEFT + columns * (BOX_W + GAP)
  const height = volumes.length ? volTop + 46 : busY(Math.max(networks.length, 1)) - 6
  const volumeX = (v: number) => LEFT + v * (BOX_W + GAP) + BOX_W / 2

  if (containers.length === 0 && networks.length === 0 && volumes.length === 0) {
    return <p className="text-sm text-slate-600">{t('empty')}</p>
  }

  return (
    <figure className="m-0">
      <figcaption className="mb-1 text-xs text-slate-600">
        {t('node', { node })} · {summary}
      </figcaption>
      <div className="overflow-x-auto rounded border border-slate-200 bg-white">
        <svg role="img" aria-labelledby={`${id}-t`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} className="block text-[11px]">
          <title id={`${id}-t`}>{`${t('node', { node })}${colon(locale)} ${summary}`}</title>
          {networks.map((n, j) => (
            <g key={n.id}>
              <line x1={LEFT - 8} x2={width - 8} y1={busY(j)} y2={busY(j)} stroke={n.internal ? '#7c3aed' : '#0b5e8e'} strokeWidth={3} strokeDasharray={n.builtin ? '6 4' : undefined} />
              <text x={6} y={busY(j) + 4} fill="#0f172a" fontWeight={600}>
                <title>{`${n.name} (${n.driver}${n.internal ? ', internal' : ''})`}</title>
                {cut(n.name, 13)}
              </text>
            </g>
          ))}
          {containers.map((c, i) => {
            const color = stateColor(c.state)
            return (
              <g key={c.id}>
                {c.networks.map((name) => {
                  const j = networks.findIndex((n) => n.name === name)
                  if (j === -1) return null
                  return (
                    <g key={name}>
                      <line x1={cx(i)} x2={cx(i)} y1={TOP + BOX_H} y2={busY(j)} stroke="#0b5e8e" strokeWidth={1.5} />
                      <circle cx={cx(i)} cy={busY(j)} r={4.5} fill="#0b5e8e" />
                    </g>
                  )
                })}
                {c.volumes.map((name) => {
                  const v = volumes.findIndex((x) => x.name === name)
                  if (v === -1) return null
                  return <path key={name} d={`M ${cx(i) + 12} ${TOP + BOX_H} L ${cx(i) + 12} ${volTop - 10} L ${volumeX(v)} ${volTop}`} fill="none" stroke="#b45309" strokeWidth={1.2} strokeDasharray="4 3" />
                })}
                <rect x={cx(i) - BOX_W / 2} y={TOP} width={BOX_W} height={BOX_H} rx={6} fill={color.fill} stroke={color.stroke} strokeWidth={1.5} />
                <text x={cx(i) - BOX_W / 2 + 8} y={TOP + 18} fill={color.text} fontWeight={600}>
                  {cut(c.name, 19)}
                </text>
                <text x={cx(i) - BOX_W / 2 + 8} y={TOP + 34} fill={color.text}>
                  {cut(`${c.image} · ${c.state}`, 22)}
                </text>
                <title>{[t('container', { name: c.name, image: c.image, state: c.status || c.state }), ports(c) && t('ports', { ports: ports(c) })].filter(Boolean).join(' — ')}</title>
              </g>
            )
          })}
          {volumes.map((v, k) => (
            <g key={v.name}>
              <ellipse cx={volumeX(k)} cy={volTop + 4} rx={40} ry={6} fill="#fef3c7" stroke="#b45309" />
              <path d={`M ${volumeX(k) - 40} ${volTop + 4} v 22 a 40 6 0 0 0 80 0 v -22`} fill="#fef3c7" stroke="#b45309" />
              <text x={volumeX(k)} y={volTop + 24} textAnchor="middle" fill="#78350f">
                <title>{`${v.name} (${v.driver})`}</title>
                {cut(v.name, 14)}
              </text>
            </g>
          ))}
        </svg>
      </div>
      <details className="mt-1 text-xs">
        <summary className="cursor-pointer text-slate-600">{t('textVersion')}</summary>
        <ul className="mt-1 list-disc space-y-0.5 pl-5">
          {containers.map((c) => (
            <li key={c.id}>
              {t('container', { name: c.name, image: c.image, state: c.status || c.state })} — {t('attachedTo', { networks: c.networks.join(', ') || t('none') })}
              {c.volumes.length > 0 && <> — {t('mounts', { volumes: c.volumes.join(', ') })}</>}
              {ports(c) && <> — {t('ports', { ports: ports(c) })}</>}
            </li>
          ))}
          {volumes.filter((v) => !containers.some((c) => c.volumes.includes(v.name))).map((v) => (
            <li key={v.name}>{v.name}</li>
          ))}
        </ul>
      </details>
    </figure>
  )
}
