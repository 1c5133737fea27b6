import { describe, expect, it } from 'vitest'
import { sandboxApi } from '../../../lib/workspace/api'
import { lesson, TerminalProbe, terminalUrl, type Account } from './support'
import type { WorkspaceContext } from './terminal.suite'

const q = `course=${lesson.course}&lesson=${lesson.lesson}`

export function filesSuite(ctx: () => WorkspaceContext) {
  const call = (account: Account | null, path: string, init: RequestInit = {}) =>
    fetch(`${ctx().server.url}${path}`, {
      ...init,
      headers: { ...(account ? { cookie: account.cookie } : {}), origin: ctx().server.url, ...(init.headers as Record<string, string>) },
    })
  const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code
  // Fixtures are made from the learner's own shell, in the lesson folder.
  let term: TerminalProbe | null = null
  const sh = async (command: string) => {
    const { server, alice, sandboxId } = ctx()
    term ??= await TerminalProbe.open(terminalUrl(server, sandboxId, { session: '2' }), alice, server.url)
    return term.run(command)
  }

  describe('files API on the node, through the Docker archive API', () => {
    it('lists, reads, saves, uploads and downloads inside the lesson folder', async () => {
      const { alice, sandboxId } = ctx()
      const root = `/root/lab/${lesson.lesson}`
      await sh(`mkdir -p conf && printf 'a: 1\\n' > conf/app.yaml && ln -sfn conf/app.yaml inside-link`)

      const list = await call(alice, `${sandboxApi.files(sandboxId)}?${q}`)
      expect(list.status).toBe(200)
      const body = (await list.json()) as { root: string; entries: { path: string; kind: string }[] }
      expect(body.root).toBe(root)
      expect(body.entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'conf/app.yaml', kind: 'file' }),
          expect.objectContaining({ path: 'conf', kind: 'dir' }),
          // The lesson's workspace files were copied in when the sandbox opened: its own
          // workspace/ and its shared folder (config/app.env, from shared/atelier-config).
          expect.objectContaining({ path: 'compose.yaml', kind: 'file' }),
          expect.objectContaining({ path: 'config/app.env', kind: 'file' }),
        ]),
      )

      const read = await call(alice, `${sandboxApi.fileContent(sandboxId)}?${q}&path=conf/app.yaml`)
      expect(read.status).toBe(200)
      const file = (await read.json()) as { content: string; mtime: string }
      expect(file.content).toBe('a: 1\n')
      expect((await (await call(alice, `${sandboxApi.fileContent(sandboxId)}?${q}&path=inside-link`)).json()) as object).toMatchObject({ content: 'a: 1\n' })

      const save = await call(alice, sandboxApi.fileContent(sandboxId), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'conf/app.yaml', content: 'a: 2\n', baseMtime: file.mtime }),
      })
      expect(save.status).toBe(200)
      expect(await sh('cat conf/app.yaml')).toContain('a: 2')

      // Saving over a version that changed meanwhile is a conflict, not a silent overwrite.
      const stale = await call(alice, sandboxApi.fileContent(sandboxId), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'conf/app.yaml', content: 'a: 3\n', baseMtime: '2000-01-01T00:00:00Z' }),
      })
      expect(stale.status).toBe(409)

      const form = new FormData()
      form.set('file', new Blob([Uint8Array.from([0, 1, 2, 250])]), 'data.bin')
      const upload = await call(alice, `${sandboxApi.upload(sandboxId)}?${q}&dir=uploads`, { method: 'POST', body: form })
      expect(upload.status).toBe(200)
      expect((await upload.json()) as object).toMatchObject({ path: 'uploads/data.bin', size: 4 })

      const download = await call(alice, `${sandboxApi.download(sandboxId)}?${q}&path=uploads/data.bin`)
      expect(download.status).toBe(200)
      expect(download.headers.get('content-disposition')).toContain('data.bin')
      expect([...new Uint8Array(await download.arrayBuffer())]).toEqual([0, 1, 2, 250])

      // A binary file is not for the editor.
      const binary = await call(alice, `${sandboxApi.fileContent(sandboxId)}?${q}&path=uploads/data.bin`)
      expect(binary.status).toBe(415)
    })

    it('refuses paths that leave the lesson folder: "..", absolute, and symlinks to outside at any depth', async () => {
      const { alice, sandboxId } = ctx()
      await sh('ln -sfn /etc etc-link && ln -sfn ../../../etc/hostname conf/up')
      for (const [path, status] of [
        ['../../../etc/passwd', 400],
        ['conf/../../x', 400],
        ['/etc/passwd', 400],
        ['etc-link/passwd', 403],
        ['etc-link', 403],
        ['conf/up', 403],
      ] as const) {
        const read = await call(alice, `${sandboxApi.fileContent(sandboxId)}?${q}&path=${encodeURIComponent(path)}`)
        expect(read.status, `read ${path}`).toBe(status)
        expect(['path_outside'], `read ${path}`).toContain(await errorCode(read))
        const write = await call(alice, sandboxApi.fileContent(sandboxId), {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path, content: 'x' }),
        })
        expect(write.status, `write ${path}`).toBe(status)
        const download = await call(alice, `${sandboxApi.download(sandboxId)}?${q}&path=${encodeURIComponent(path)}`)
        expect(download.status, `download ${path}`).toBe(status)
      }
      const form = new FormData()
      form.set('file', new Blob(['x']), 'evil')
      expect((await call(alice, `${sandboxApi.upload(sandboxId)}?${q}&dir=etc-link`, { method: 'POST', body: form })).status).toBe(403)
      // Nothing was written outside.
      expect(await sh('[ -e /etc/evil ] || [ -e /root/x ] || echo "nothing-$((1+1))-outside"')).toContain('nothing-2-outside')
    })

    it('refuses files too large for the editor and uploads over 10 MiB', async () => {
      const { alice, sandboxId } = ctx()
      await sh(`head -c 1100000 /dev/zero | tr '\\0' a > big.txt`)
      const read = await call(alice, `${sandboxApi.fileContent(sandboxId)}?${q}&path=big.txt`)
      expect(read.status).toBe(413)
      const save = await call(alice, sandboxApi.fileContent(sandboxId), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'big2.txt', content: 'a'.repeat(1100000) }),
      })
      expect(save.status).toBe(413)
      const form = new FormData()
      form.set('file', new Blob([new Uint8Array(11 * 1024 * 1024)]), 'huge.bin')
      expect((await call(alice, `${sandboxApi.upload(sandboxId)}?${q}`, { method: 'POST', body: form })).status).toBe(413)
    })

    it("refuses another user's session and no session at all", async () => {
      const { alice, bob, sandboxId } = ctx()
      for (const [who, status] of [
        [bob, 403],
        [null, 401],
      ] as const) {
        expect((await call(who, `${sandboxApi.files(sandboxId)}?${q}`)).status).toBe(status)
        expect((await call(who, `${sandboxApi.fileContent(sandboxId)}?${q}&path=conf/app.yaml`)).status).toBe(status)
        expect((await call(who, `${sandboxApi.download(sandboxId)}?${q}&path=conf/app.yaml`)).status).toBe(status)
        const save = await call(who, sandboxApi.fileContent(sandboxId), {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ course: lesson.course, lesson: lesson.lesson, path: 'conf/app.yaml', content: 'pwned' }),
        })
        expect(save.status).toBe(status)
        expect((await call(who, sandboxApi.one(sandboxId))).status).toBe(status)
      }
      expect((await call(alice, sandboxApi.one(sandboxId))).status).toBe(200)
    })
  })
}
