// A project course (course.yaml sharedSandbox: true) works in ONE folder named after the course,
// on the real Docker engine and database: opening its first milestone lays the project's files in
// /root/lab/<course>, opening a later milestone adds that milestone's files there without
// touching what the learner changed, no per-lesson folder appears, and a check's commands run in
// the course folder (lessons.server.ts lessonFolder, lib/content/paths.ts lessonWorkdir).
import { afterAll, describe, expect, it } from 'vitest'
import { getSandboxAccess } from '../../../lib/checks/check-targets.server'
import { getLesson, lessonFolder } from '../../../lib/content/lessons.server'
import { labRoot } from '../../../lib/content/paths'
import { lessonWorkspace } from '../../../lib/content/workspace'
import { execInNode } from '../../../lib/sandbox/node-access.server'
import { openSandboxForLesson } from '../../../lib/workspace/service.server'
import { cleanUpNamespace, createUser, withTestNamespace } from '../sandbox/support'

withTestNamespace('course-folder', { keepDays: 0 })

const course = 'projet-escales'
const first = 'jalon-1-image'
const later = 'jalon-6-incident'
const student = { id: 'cf1', email: 'cf1@test.quai.invalid', name: 'cf1', role: 'student' as const }
const sh = async (sandboxId: string, script: string) => execInNode(sandboxId, 'node1', ['bash', '-c', script])
const filesOf = (slug: string) => lessonWorkspace(getLesson(course, slug)!).filter((e) => e.kind === 'file').map((e) => e.rel)

afterAll(async () => {
  await cleanUpNamespace()
})

describe.sequential('the working folder of a shared-sandbox course', () => {
  it('is /root/lab/<course> for every milestone; a later milestone adds its files, never over the learner\'s', async () => {
    await createUser(student.id)
    const folder = `${labRoot}/${course}`
    expect(lessonFolder(getLesson(course, first)!)).toBe(folder)
    expect(lessonFolder(getLesson(course, later)!)).toBe(folder)
    expect(filesOf(first)).toContain('app/package.json')
    expect(filesOf(later)).toContain('livraison/compose.override.yaml')

    const mine = await openSandboxForLesson(student, { courseSlug: course, lessonSlug: first })
    expect((await sh(mine.id, `test -f ${folder}/app/package.json && ls ${labRoot}`)).stdout.trim().split('\n')).toEqual([course])
    // The learner's work: a changed starter file and a file of their own.
    expect((await sh(mine.id, `cd ${folder} && echo '{"modifié": true}' > app/package.json && echo 'name: escales' > compose.yaml`)).exitCode).toBe(0)

    const again = await openSandboxForLesson(student, { courseSlug: course, lessonSlug: later })
    expect(again.id).toBe(mine.id)
    const listing = await sh(mine.id, `ls ${labRoot}; cat ${folder}/app/package.json ${folder}/compose.yaml; test -f ${folder}/livraison/compose.override.yaml && echo livraison-ok`)
    expect(listing.stdout.trim().split('\n')).toEqual([course, '{"modifié": true}', 'name: escales', 'livraison-ok'])

    // A check of the later milestone runs its commands in the course folder.
    const target = await getSandboxAccess().target(mine.id, 'node1', lessonFolder(getLesson(course, later)!))
    const pwd = await target.exec('pwd', { timeoutMs: 10_000 })
    expect(pwd.stdout.trim()).toBe(folder)
  }, 240_000)
})
