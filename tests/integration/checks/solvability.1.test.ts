import { solvabilitySuite } from './solvability-suite'

// Half of the hands-on lessons: see solvability-suite.ts.
solvabilitySuite(1, 2)
