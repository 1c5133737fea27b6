// Reads a /metrics answer the way Prometheus does: the exposition text parsed into samples
// (a small parser of the text format: `# TYPE` lines, `name{label="value",…} number`).

export type Sample = { name: string; labels: Record<string, string>; value: number }

export type Scrape = {
  status: number
  contentType: string
  text: string
  samples: Sample[]
  types: Map<string, string>
  /** The sum of the samples named `name` whose labels include `labels` (0 when none). */
  value: (name: string, labels?: Record<string, string>) => number
  /** Whether any sample named `name` (with these labels) is present. */
  has: (name: string, labels?: Record<string, string>) => boolean
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line)
      if (type) types.set(type[1]!, type[2]!)
      continue
    }
    const match = samplePattern.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (match[2] ?? '').matchAll(labelPattern)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    // Prometheus reads these words in any case (prom-client writes `Nan`).
    const raw = match[3]!.toLowerCase()
    const value = raw === '+inf' || raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === 'nan' ? NaN : Number(raw)
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`not a number in: ${line}`)
    samples.push({ name: match[1]!, labels, value })
  }
  return { samples, types }
}

const matches = (sample: Sample, name: string, labels: Record<string, string>) =>
  sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url)
  const text = await response.text()
  const { samples, types } = response.status === 200 ? parseExposition(text) : { samples: [], types: new Map<string, string>() }
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text,
    samples,
    types,
    value: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)).reduce((sum, s) => sum + s.value, 0),
    has: (name, labels = {}) => samples.some((s) => matches(s, name, labels)),
  }
}
