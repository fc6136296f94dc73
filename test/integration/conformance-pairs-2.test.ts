/** Conformance, pair slice 2 of 4: see test/support/conformance-suite.ts. */
import { describePairConformance } from '../support/conformance-suite';

describePairConformance(2);
