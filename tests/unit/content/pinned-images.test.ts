import { describe, expect, it } from 'vitest'
import { imageMentions, unpinnedImages } from '@/lib/content/pinned-images'

const served: Record<string, string[]> = { postgres: ['latest', '17'], redis: ['latest', '8.0', '8'], 'prom/prometheus': ['latest', 'v2.53.3'] }
const unpinned = (text: string) => unpinnedImages(imageMentions(text), (repo) => served[repo] ?? []).map((u) => `${u.line}: ${u.image}`)

describe('images named without the version the sandbox serves', () => {
  it('finds the image a docker run starts past its options, not a value or an argument', () => {
    expect(unpinned('docker run -d --name db -e POSTGRES_USER=postgres -v pg:/var/lib/postgresql/data postgres psql -U postgres')).toEqual(['1: postgres'])
    expect(unpinned('docker run --rm -it --network=n postgres:17 psql -U postgres -h db')).toEqual([])
    expect(unpinned('docker run -d -e REDIS_URL=redis://cache:6379 api:1 && docker container run -d redis')).toEqual(['1: redis'])
    expect(unpinned('docker service create --name c --replicas 2 redis')).toEqual(['1: redis'])
  })

  it('reads Compose, Dockerfiles, continued lines and inline code, with the line', () => {
    const text = ['services:', '  db:', '    image: "postgres"', '  m:', '    image: prom/prometheus:v2.53.3', 'FROM redis:latest', 'docker run -d \\', '  docker.io/library/postgres:16', 'Lancez `docker run -d redis:8` puis `docker run -d redis`.'].join('\n')
    expect(unpinned(text)).toEqual(['3: postgres', '6: redis:latest', '7: docker.io/library/postgres:16', '9: redis'])
  })

  it('leaves other images alone', () => {
    expect(unpinned('docker run -d nginx\n    image: busybox\nFROM node:20-slim')).toEqual([])
  })
})
