// Which messages each part of the app hands its client components (ScopedIntl, app/layout.tsx):
// the namespaces their useTranslations calls read, and nothing else. Server components read
// every message on the server; only these travel in each page's flight data, on every view.
// tests/unit/i18n/client-messages.test.ts checks each client component's namespaces against
// these lists, and the end-to-end tests fail on a message missing in the browser
// (tests/e2e/support/intl-guard.ts).

/** Every page: the header (locale switch, sign-out) and the error page. */
export const rootClientMessages = ['common.nav', 'common.locale', 'common.error']

/** Sign-in, sign-up and setup: the account forms. */
export const authClientMessages = ['auth']

/** A lesson's text: code blocks, exercise references, diagrams, the quiz, "mark as read", the exam banner, open questions. */
export const lessonClientMessages = ['learn.lesson', 'learn.code', 'learn.exercise', 'learn.openExercise', 'learn.diagram', 'learn.quiz', 'learn.exam', 'openQuestions']

/**
 * A hands-on lesson's panel, signed in: the workspace (terminal, files, ports) and the
 * exercises. Not the assertion messages (`exercises.check`, two thirds of the namespace): the
 * checklist loads them with the exercise panel's code when it has a result to show
 * (lib/checks/catalogue.ts).
 */
export const handsOnClientMessages = { paths: ['learn.lesson', 'workspace', 'exercises'], omit: ['exercises.check'] }

/** The same panel signed out: a sign-in link. */
export const handsOnSignedOutMessages = ['learn.lesson']
