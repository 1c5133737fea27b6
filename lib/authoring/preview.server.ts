import 'server-only'
import YAML from 'yaml'
import type { Exercise } from '../content/schema'

// The authoring preview: what a lesson holds besides its text (quiz keys, hints, solutions,
// checks), shown to instructors only; the learner's page never receives any of this
// (lib/quiz/public.ts and lib/checks/public.ts strip it). Running a solution is run-solution.server.ts.

export function checksAsYaml(exercise: Exercise): string[] {
  return exercise.checks.map((check) => YAML.stringify(check, { lineWidth: 0 }).trim())
}
