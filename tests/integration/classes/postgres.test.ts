import { describeOnPostgres } from '../../support/progress-suite'
import { classesSuite } from './suite'

// The same suite on PostgreSQL (the failing-assertion query is written for each database).
describeOnPostgres('classes on PostgreSQL', 'quai_classes', classesSuite)
