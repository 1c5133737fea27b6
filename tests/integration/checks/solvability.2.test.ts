import { solvabilitySuite } from './solvability-suite'

// Half of the hands-on lessons: see solvability-suite.ts.
solvabilitySuite(2, 2)
